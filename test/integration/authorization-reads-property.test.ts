/**
 * Property: lookups, reads, incident commands, PagerDuty buttons, the audit log and role changes are decided
 * by the one policy, as actions are, and every refusal is audited exactly once, in one shape.
 *
 * Each generated scenario configures roles (ops.yml users and everyone, and grants stored in PostgreSQL,
 * some on a service no longer in ops.yml), each service's lookup role, a channel allow-list, and one request
 * made by one user in one channel: an open incident's channel, a resolved one's, an allowed one or another.
 * The real services (built as opsbot builds them, over a real database) answer it. An independent model,
 * written here from the scenario alone, says whether it must be allowed; a lookup must moreover be decided
 * exactly as an action needing the same role, on the same service, in the same channel.
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type ActionConfig, ActionConfigSchema } from '../../src/actions/registry.js';
import { AccessService } from '../../src/auth/access.js';
import { Authorizer } from '../../src/auth/authorizer.js';
import { GrantStore } from '../../src/auth/grants.js';
import { GroupMembers } from '../../src/auth/group-members.js';
import { RoleResolver } from '../../src/auth/role-resolver.js';
import type { Role } from '../../src/auth/roles.js';
import { parseOpsConfig } from '../../src/config/load.js';
import type { OpsConfig } from '../../src/config/ops-config.js';
import { migrate } from '../../src/db/migrate.js';
import { OpsError } from '../../src/errors.js';
import { PostgresCounterWindows } from '../../src/health/postgres-counter-windows.js';
import { StatusService } from '../../src/health/status.js';
import { PostgresSustainedLevels } from '../../src/health/sustained-postgres.js';
import type { IncidentSlack } from '../../src/incidents/ports.js';
import { IncidentService } from '../../src/incidents/service.js';
import { IncidentStore } from '../../src/incidents/store.js';
import { PodsService } from '../../src/kubernetes/show-pods.js';
import { createLogger } from '../../src/log.js';
import { LookupService } from '../../src/lookups/show.js';
import { PagerDutyAsUser } from '../../src/pagerduty/as-user.js';
import { RunStore } from '../../src/runs/store.js';
import { KubernetesTargets } from '../../src/targets/kubernetes.js';
import { createTestDatabase } from '../support/databases.js';

// ---------------------------------------------------------------------------------------------------
// The scenario space

const USERS = ['U0A', 'U0B', 'U0C'] as const;
const SERVICES = ['bentham', 'ledger'] as const;
/** A service someone was granted a role on, since removed from ops.yml. */
const RETIRED = 'retired';
/** The documented role order, written out here: a higher role includes the lower ones. */
const ORDER: readonly Role[] = ['viewer', 'responder', 'operator', 'admin'];
const OPEN_INCIDENT = { id: 'inc_open', channel: 'C0WAR' };
const RESOLVED_INCIDENT = { id: 'inc_done', channel: 'C0OLD' };
const CHANNELS = ['C0OPS', OPEN_INCIDENT.channel, RESOLVED_INCIDENT.channel, 'C0RANDOM'] as const;

type User = (typeof USERS)[number];
type Service = (typeof SERVICES)[number];
/** '' is a grant on every service, as in role_grants. */
type Scope = '' | Service | typeof RETIRED;

/** One request, as the Slack handlers pass it to the services. */
type Ask =
  | { verb: 'show'; service: Service }
  | { verb: 'status'; service: Service | undefined }
  | { verb: 'pods'; service: Service }
  | { verb: 'pagerduty'; service: Service }
  | { verb: 'timeline' }
  | { verb: 'snooze' }
  | { verb: 'audit' }
  | { verb: 'grant'; service: Service | undefined };

interface Scenario {
  config: Partial<Record<Role, { users: User[]; everyone: boolean }>>;
  grants: { user: User; scope: Scope; role: Role }[];
  lookupRoles: Record<Service, Role>;
  allow: string[];
  actor: User;
  channel: (typeof CHANNELS)[number];
  ask: Ask;
}

const user = fc.constantFrom(...USERS);
const role = fc.constantFrom(...ORDER);
const service = fc.constantFrom(...SERVICES);
const anyService = fc.option(service, { nil: undefined });

const scenarios: fc.Arbitrary<Scenario> = fc.record({
  config: fc.record({
    viewer: fc.option(fc.record({ users: fc.subarray([...USERS]), everyone: fc.boolean() }), {
      nil: undefined,
    }),
    responder: fc.option(
      fc.record({ users: fc.subarray([...USERS], { maxLength: 1 }), everyone: fc.constant(false) }),
      {
        nil: undefined,
      },
    ),
    admin: fc.option(
      fc.record({ users: fc.subarray([...USERS], { maxLength: 1 }), everyone: fc.constant(false) }),
      {
        nil: undefined,
      },
    ),
  }),
  grants: fc.array(fc.record({ user, scope: fc.constantFrom<Scope>('', ...SERVICES, RETIRED), role }), {
    maxLength: 4,
  }),
  lookupRoles: fc.record({ bentham: role, ledger: role }),
  allow: fc.constantFrom<string[]>([], ['C0OPS'], ['C0OPS', 'C0RANDOM']),
  actor: user,
  channel: fc.constantFrom(...CHANNELS),
  ask: fc.oneof(
    fc.record({ verb: fc.constant('show' as const), service }),
    fc.record({ verb: fc.constant('status' as const), service: anyService }),
    fc.record({ verb: fc.constant('pods' as const), service }),
    fc.record({ verb: fc.constant('pagerduty' as const), service }),
    fc.record({ verb: fc.constant('timeline' as const) }),
    fc.record({ verb: fc.constant('snooze' as const) }),
    fc.record({ verb: fc.constant('audit' as const) }),
    fc.record({ verb: fc.constant('grant' as const), service: anyService }),
  ),
});

// ---------------------------------------------------------------------------------------------------
// The independent model: who holds what, and what each request needs

const rankOf = (r: Role | undefined) => (r === undefined ? -1 : ORDER.indexOf(r));

/** The highest rank ops.yml gives the user (named, or everyone). */
function configRank(s: Scenario, u: User): number {
  return Math.max(
    -1,
    ...ORDER.filter((r) => s.config[r]?.users.includes(u) || s.config[r]?.everyone).map(rankOf),
  );
}

/** The user's rank from ops.yml and from grants on these scopes (the last grant of a scope wins). */
function rankFrom(s: Scenario, u: User, scopes: readonly Scope[]): number {
  const granted = new Map<Scope, Role>();
  for (const g of s.grants) if (g.user === u) granted.set(g.scope, g.role);
  return Math.max(configRank(s, u), ...scopes.map((scope) => rankOf(granted.get(scope))));
}

/** On one service: ops.yml, a grant everywhere, or one on it. */
const onService = (s: Scenario, svc: Service) => rankFrom(s, s.actor, ['', svc]);
/** Anywhere: a grant on a service no longer in ops.yml counts for nothing. */
const anywhere = (s: Scenario) => rankFrom(s, s.actor, ['', ...SERVICES]);

const channelAllowed = (s: Scenario) =>
  s.allow.length === 0 || s.allow.includes(s.channel) || s.channel === OPEN_INCIDENT.channel;

/** Whether the request must be allowed; for `status` of every service, which services it must show. */
function expectedOf(s: Scenario): { allowed: boolean; shows?: Service[] } {
  const { ask } = s;
  switch (ask.verb) {
    case 'show':
      return {
        allowed: channelAllowed(s) && onService(s, ask.service) >= rankOf(s.lookupRoles[ask.service]),
      };
    case 'status':
      if (ask.service === undefined) {
        return { allowed: true, shows: SERVICES.filter((svc) => onService(s, svc) >= rankOf('viewer')) };
      }
      return { allowed: onService(s, ask.service) >= rankOf('viewer') };
    case 'pods':
      return { allowed: onService(s, ask.service) >= rankOf('viewer') };
    case 'pagerduty':
      return { allowed: onService(s, ask.service) >= rankOf('responder') };
    case 'timeline':
      return { allowed: anywhere(s) >= rankOf('viewer') };
    case 'snooze':
    case 'audit':
      return { allowed: anywhere(s) >= rankOf('responder') };
    case 'grant': {
      const held = ask.service ? onService(s, ask.service) : rankFrom(s, s.actor, ['']);
      return { allowed: held >= rankOf('admin') };
    }
  }
}

/** The action label a refusal is audited under. */
function labelOf(ask: Ask): string {
  switch (ask.verb) {
    case 'show':
      return 'show probe';
    case 'pagerduty':
      return 'pagerduty acknowledge';
    case 'snooze':
      return 'incident snooze';
    case 'grant':
      return 'role.grant';
    default:
      return ask.verb;
  }
}

// ---------------------------------------------------------------------------------------------------
// The system under test

const DB_ENV = 'READS_DATABASE_URL';

function configFor(s: Scenario, url: string): OpsConfig {
  const svc = (name: Service) => ({
    environment: 'production',
    databases: { main: { url: `\${${DB_ENV}}` } },
    lookups: { probe: { database: 'main', params: {}, query: 'SELECT 1 AS one', role: s.lookupRoles[name] } },
  });
  const text = stringify({
    workspace: { ops_channel: 'C0OPS' },
    roles: s.config,
    channels: { allow: s.allow },
    services: { bentham: svc('bentham'), ledger: svc('ledger') },
  });
  return parseOpsConfig(text, { [DB_ENV]: url });
}

/** An action that needs `role` and nothing else: no argument constraints, any risk. */
function actionNeeding(role: Role): ActionConfig {
  const run = 'SELECT 1';
  return ActionConfigSchema.parse({ kind: 'sql', summary: 'Twin', database: 'main', params: {}, run, role });
}

/** A port the request must not reach: any call fails the test. */
function unused<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get: (_, key) => () => {
      throw new Error(`${name}.${String(key)} was called`);
    },
  });
}

const log = createLogger('silent');
const ADMIN = 'U0ROOT';

let own: { url: string; drop(): Promise<void> } | undefined;
let pool: pg.Pool;
let store: RunStore;
let grantStore: GrantStore;
let incidentStore: IncidentStore;

beforeAll(async () => {
  own = await createTestDatabase('opsbot_reads');
  pool = new pg.Pool({ connectionString: own.url, max: 4 });
  await migrate(pool);
  store = new RunStore(pool);
  grantStore = new GrantStore(pool);
  incidentStore = new IncidentStore(pool);
  for (const incident of [OPEN_INCIDENT, RESOLVED_INCIDENT]) {
    await incidentStore.create({
      id: incident.id,
      title: incident.id,
      severity: 'SEV2',
      channelId: incident.channel,
      channelName: `inc-${incident.id}`,
      declaredBy: ADMIN,
      services: [],
      nextStatusAt: new Date(Date.now() + 3_600_000),
    });
  }
  await incidentStore.resolve(RESOLVED_INCIDENT.id, 'over', new Date());
});

afterAll(async () => {
  await pool?.end();
  await own?.drop();
});

async function auditHead(): Promise<string> {
  const { rows } = await pool.query<{ id: string }>('SELECT coalesce(max(id), 0)::text AS id FROM audit_log');
  return rows[0]?.id ?? '0';
}

/** Plays one scenario's request through the real services; returns what came back and what was audited. */
async function play(s: Scenario) {
  await pool.query('TRUNCATE role_grants');
  for (const g of s.grants) await grantStore.grant(ADMIN, g.user, g.role, g.scope || undefined);
  const config = configFor(s, own?.url ?? '');
  const groups = new GroupMembers(
    async () => [],
    log,
    60_000,
    () => 0,
  );
  const resolver = new RoleResolver(config.roles, groups, grantStore);
  const isIncidentChannel = (channel: string) => incidentStore.isOpenChannel(channel);
  const authority = {
    rolesOf: (userId: string) => resolver.rolesOf(userId),
    auditDenial: (entry: Parameters<RunStore['auditDenial']>[0]) => store.auditDenial(entry),
  };
  const authorizer = new Authorizer({
    config,
    ...authority,
    takeRequest: async () => true,
    isIncidentChannel,
  });
  const { actor, channel, ask } = s;

  const head = await auditHead();
  let value: unknown;
  let error: OpsError | undefined;
  try {
    value = await answer();
  } catch (caught) {
    if (!(caught instanceof OpsError)) throw caught;
    error = caught;
  }
  const { rows: denials } = await pool.query<{
    actor: string;
    service: string | null;
    action: string;
    detail: { checkpoint: string; reason: string; channel?: string };
  }>(
    `SELECT actor, service, action, detail FROM audit_log WHERE id > $1 AND event = 'request.denied' ORDER BY id`,
    [head],
  );
  // The lookup's twin: an action needing the lookup's role, on the same service, in the same channel.
  const twin =
    ask.verb === 'show'
      ? await authorizer.decide({
          actor,
          channel,
          service: ask.service,
          action: 'twin',
          config: actionNeeding(s.lookupRoles[ask.service]),
        })
      : undefined;
  return { value, error, denials, twin };

  function answer(): Promise<unknown> {
    switch (ask.verb) {
      case 'show':
        return new LookupService({
          config,
          database: () => pool,
          ...authority,
          isIncidentChannel,
        }).show({ actor, channel, service: ask.service, lookup: 'probe', args: [], named: {} });
      case 'status':
        return new StatusService({
          config,
          pool,
          targets: unused('targets'),
          windows: new PostgresCounterWindows(pool),
          levels: new PostgresSustainedLevels(pool),
          ...authority,
        }).status(actor, ask.service);
      case 'pods':
        return new PodsService({
          config,
          kubernetes: new KubernetesTargets(config.services),
          redactor: { redact: (text) => text },
          ...authority,
        }).pods(actor, ask.service);
      case 'pagerduty':
        return new PagerDutyAsUser({ rest: undefined, email: async () => undefined, ...authority }).change(
          actor,
          ask.service,
          'PD1',
          { kind: 'acknowledge' },
        );
      case 'timeline':
      case 'snooze': {
        const incidents = new IncidentService({
          config,
          store: incidentStore,
          slack: unused<IncidentSlack>('slack'),
          log,
          ...authority,
        });
        return ask.verb === 'timeline'
          ? incidents.timeline(actor, channel === RESOLVED_INCIDENT.channel ? channel : OPEN_INCIDENT.channel)
          : incidents.snooze(actor, OPEN_INCIDENT.id, 5);
      }
      case 'audit':
      case 'grant': {
        const access = new AccessService({
          config,
          authorizer,
          grants: grantStore,
          rolesOf: authority.rolesOf,
          auditTail: async () => 'the tail',
          requireRead: async () => undefined,
        });
        return ask.verb === 'audit'
          ? access.audit(actor, 3)
          : access.grant(actor, 'U0NEW', 'viewer', ask.service);
      }
    }
  }
}

describe('one authorizer for lookups, reads, incidents, PagerDuty buttons, the audit log and roles', () => {
  it('allows exactly what the model allows, refuses with one audited sentence, and decides a lookup as an action', async () => {
    await fc.assert(
      fc.asyncProperty(scenarios, async (s) => {
        const expected = expectedOf(s);
        const { value, error, denials, twin } = await play(s);

        if (expected.allowed) {
          // Past the authorizer, a request may still fail for its own reasons, never as forbidden.
          if (s.ask.verb === 'pods')
            expect(error?.code).toBe('not_found'); // no kubernetes section
          else if (s.ask.verb === 'pagerduty')
            expect(error?.code).toBe('unavailable'); // no PAGERDUTY_TOKEN
          else expect(error).toBeUndefined();
          expect(denials).toEqual([]);
        } else {
          expect(error?.code).toBe('forbidden');
          expect(denials).toHaveLength(1);
          const [denial] = denials;
          expect(denial?.actor).toBe(s.actor);
          expect(denial?.action).toBe(labelOf(s.ask));
          expect(denial?.detail.checkpoint).toBe('request');
          expect(denial?.detail.reason).toBe(error?.message);
        }
        if (expected.shows) {
          expect((value as { service: string }[]).map((row) => row.service)).toEqual(expected.shows);
        }
        if (twin) expect(twin.allow).toBe(expected.allowed);
      }),
      { numRuns: 150 },
    );
  });
});
