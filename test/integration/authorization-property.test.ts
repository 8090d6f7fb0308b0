/**
 * Property: no execution without a permitting policy decision at each checkpoint.
 *
 * Each generated scenario configures roles (ops.yml users, groups, everyone, and grants stored in
 * PostgreSQL), roles held for a time (just-in-time grants approved for a while, and PagerDuty on-call shifts
 * with pagerduty.oncall_roles), one action per service with a random role and risk, a channel allow-list, and
 * who requests, confirms and approves; optionally a grant is revoked or changed part-way. The checkpoints
 * happen ten minutes apart on the resolver's clock, and a role held for a time ends between two of them (or
 * outlasts the run). The real RunService then runs request → confirm → approve → execute against a real
 * opsbot database and a real target database. An independent model, written here from the scenario alone,
 * says what each checkpoint must decide; the test checks every step's outcome, the run's state, the target
 * table and the audit log against it.
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { grantRoles } from '../../src/access/grant-roles.js';
import { AccessGrantStore } from '../../src/access/store.js';
import type { Risk } from '../../src/actions/types.js';
import { Authorizer } from '../../src/auth/authorizer.js';
import { GrantStore } from '../../src/auth/grants.js';
import { GroupMembers } from '../../src/auth/group-members.js';
import { RoleResolver } from '../../src/auth/role-resolver.js';
import type { Role } from '../../src/auth/roles.js';
import { parseOpsConfig } from '../../src/config/load.js';
import type { OpsConfig } from '../../src/config/ops-config.js';
import { migrate } from '../../src/db/migrate.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../../src/errors.js';
import { Redactor } from '../../src/exec/redactor.js';
import { createLogger } from '../../src/log.js';
import { type OnCallDirectory, OnCallRoles } from '../../src/pagerduty/oncall-roles.js';
import type { PostedCard, RunCards } from '../../src/runs/cards.js';
import { RunExecutor } from '../../src/runs/executor.js';
import type { Run } from '../../src/runs/run.js';
import { RunService } from '../../src/runs/service.js';
import { RunStore } from '../../src/runs/store.js';
import { TargetDatabases } from '../../src/targets/databases.js';
import { DockerTargets } from '../../src/targets/docker.js';
import { KubernetesTargets } from '../../src/targets/kubernetes.js';
import { createBenthamJobs } from '../support/bentham-fixture.js';
import { createTestDatabase } from '../support/databases.js';

// ---------------------------------------------------------------------------------------------------
// The scenario space

const USERS = ['U0A', 'U0B', 'U0C', 'U0D', 'U0E'] as const;
const GROUPS = ['S0SRE', 'S0ONCALL'] as const;
const SERVICES = ['bentham', 'ledger'] as const;
/** The documented role order, written out here: a higher role includes the lower ones. */
const ORDER: readonly Role[] = ['viewer', 'responder', 'operator', 'admin'];
const RISK_LEVELS: readonly Risk[] = ['low', 'medium', 'high'];

type User = (typeof USERS)[number];
type Group = (typeof GROUPS)[number];
type Service = (typeof SERVICES)[number];
/** '' is a grant on every service, as in role_grants. */
type Scope = '' | Service;

/** Each service has one action; its name, and how much one execution adds to attempt_count. */
const ACTION: Record<Service, { name: string; adds: number }> = {
  bentham: { name: 'retry', adds: 1 },
  ledger: { name: 'touch', adds: 100 },
};

interface ConfigGrant {
  users: User[];
  groups: Group[];
  everyone: boolean;
}

interface GrantRow {
  user: User;
  scope: Scope;
  role: Role;
}

/**
 * When a role held for a time ends: just before that checkpoint (so it counts at the ones before it only), or
 * `never` within the run.
 */
type End = 'confirm' | 'approve' | 'execute' | 'never';
const ENDS: readonly End[] = ['confirm', 'approve', 'execute', 'never'];

/** A just-in-time grant, approved when the scenario starts, ending at `ends`. */
interface TimedGrant {
  user: User;
  scope: Scope;
  role: Role;
  ends: End;
}

/** An on-call shift on a service's PagerDuty service, at an escalation level, ending at `ends`. */
interface Shift {
  user: User;
  service: Service;
  level: number;
  ends: End;
}

/** pagerduty.oncall_roles: per service, or `*` for both. */
type OnCallRules = Partial<Record<Service | '*', { level: number; role: Role }>>;

/** A grant revoked (to: null) or replaced by another role (a downgrade, or not), just before `before`. */
interface Change {
  before: 'confirm' | 'approve' | 'execute';
  user: User;
  scope: Scope;
  to: Role | null;
}

interface Scenario {
  config: Partial<Record<Role, ConfigGrant>>;
  members: Record<Group, User[]>;
  grants: GrantRow[];
  timed: TimedGrant[];
  oncall: { rules: OnCallRules; shifts: Shift[] };
  actions: Record<Service, { role: Role; risk: Risk }>;
  allow: string[];
  channel: string;
  service: Service;
  requester: User;
  confirmer: User;
  approver: User;
  change: Change | undefined;
}

const user = fc.constantFrom(...USERS);
const role = fc.constantFrom(...ORDER);
const scope = fc.constantFrom<Scope>('', ...SERVICES);
const end = fc.constantFrom(...ENDS);
const level = fc.integer({ min: 1, max: 3 });
const configGrant = fc.record({
  users: fc.subarray([...USERS], { maxLength: 2 }),
  groups: fc.subarray([...GROUPS]),
  // `everyone` is rare, or most scenarios would be decided by it alone.
  everyone: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
});

/** Someone who matters to this run, or anyone: grants and changes mostly concern the run's people. */
type Party = 'requester' | 'approver' | User;
const party: fc.Arbitrary<Party> = fc.oneof(
  { arbitrary: fc.constant('requester' as const), weight: 3 },
  { arbitrary: fc.constant('approver' as const), weight: 2 },
  { arbitrary: user, weight: 1 },
);

/** Undefined two times out of three. */
const rarely = <T>(arbitrary: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary, weight: 1 });

const scenarios: fc.Arbitrary<Scenario> = fc
  .record({
    // ops.yml roles are often absent, so that grants (and their changes) decide more often.
    config: fc.record({
      viewer: fc.option(configGrant, { nil: undefined, freq: 2 }),
      responder: rarely(configGrant),
      operator: rarely(configGrant),
      admin: rarely(configGrant),
    }),
    members: fc.record({
      S0SRE: fc.subarray([...USERS], { maxLength: 2 }),
      S0ONCALL: fc.subarray([...USERS], { maxLength: 2 }),
    }),
    grants: fc.array(fc.record({ who: party, scope, role }), { maxLength: 4 }),
    timed: fc.array(fc.record({ who: party, scope, role, ends: end }), { maxLength: 2 }),
    rules: fc.record(
      {
        bentham: fc.record({ level: fc.integer({ min: 1, max: 2 }), role }),
        ledger: fc.record({ level: fc.integer({ min: 1, max: 2 }), role }),
        '*': fc.record({ level: fc.integer({ min: 1, max: 2 }), role }),
      },
      { requiredKeys: [] },
    ),
    shifts: fc.array(fc.record({ who: party, service: fc.constantFrom(...SERVICES), level, ends: end }), {
      maxLength: 2,
    }),
    actions: fc.record({
      bentham: fc.record({ role, risk: fc.constantFrom(...RISK_LEVELS) }),
      ledger: fc.record({ role, risk: fc.constantFrom(...RISK_LEVELS) }),
    }),
    allow: fc.constantFrom<string[]>([], ['C0OPS'], ['C0OPS', 'C0INC']),
    channel: fc.oneof(
      { arbitrary: fc.constantFrom('C0OPS', 'C0INC'), weight: 4 },
      { arbitrary: fc.constant('C0RANDOM'), weight: 1 },
    ),
    service: fc.constantFrom(...SERVICES),
    requester: user,
    // Mostly the requester confirms (as they must); sometimes someone else tries.
    confirmer: fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: user, weight: 1 }),
    approver: user,
    // Often the requester and the approver also get a grant that suffices for the action, which the change
    // below then tends to revoke or lower: that is how permissions are lost between checkpoints.
    // ...held for good, or for a time (a grant or an on-call shift that may end before a later checkpoint).
    boost: fc.option(
      fc.record({
        requester: fc.record({
          scope: fc.constantFrom('global' as const, 'service' as const),
          up: fc.nat(3),
          lasting: fc.constantFrom('grant' as const, 'timed' as const, 'oncall' as const),
          ends: end,
        }),
        approver: fc.record({
          scope: fc.constantFrom('global' as const, 'service' as const),
          up: fc.nat(3),
          lasting: fc.constantFrom('grant' as const, 'timed' as const, 'oncall' as const),
          ends: end,
        }),
      }),
      { nil: undefined, freq: 4 },
    ),
    change: fc.option(
      fc.record({
        before: fc.oneof(
          { arbitrary: fc.constant('confirm' as const), weight: 2 },
          { arbitrary: fc.constant('approve' as const), weight: 1 },
          { arbitrary: fc.constant('execute' as const), weight: 2 },
        ),
        // Mostly the requester's sufficient grant, so that the change matters.
        target: fc.oneof(
          { arbitrary: fc.constant({ boosted: 'requester' as const }), weight: 4 },
          { arbitrary: fc.constant({ boosted: 'approver' as const }), weight: 1 },
          { arbitrary: fc.record({ grant: fc.nat() }), weight: 1 },
          { arbitrary: fc.record({ who: party, scope }), weight: 1 },
        ),
        // Mostly a revocation; otherwise the grant is replaced by a random (often lower) role.
        to: fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: role, weight: 1 }),
      }),
      { nil: undefined, freq: 3 },
    ),
  })
  .map(({ confirmer, change, grants, timed, rules, shifts, boost, ...rest }): Scenario => {
    const resolve = (who: Party): User =>
      who === 'requester' ? rest.requester : who === 'approver' ? rest.approver : who;
    const rows: GrantRow[] = grants.map(({ who, scope, role }) => ({ user: resolve(who), scope, role }));
    const timedRows: TimedGrant[] = timed.map(({ who, ...grant }) => ({ user: resolve(who), ...grant }));
    const onCall = {
      rules: rules as OnCallRules,
      shifts: shifts.map(({ who, ...shift }): Shift => ({ user: resolve(who), ...shift })),
    };
    const boosted: Partial<Record<'requester' | 'approver', GrantRow>> = {};
    if (boost) {
      const needed = ORDER.indexOf(rest.actions[rest.service].role);
      for (const who of ['requester', 'approver'] as const) {
        const { scope, up, lasting, ends } = boost[who];
        const row: GrantRow = {
          user: resolve(who),
          scope: scope === 'global' ? '' : rest.service,
          role: ORDER[Math.min(needed + up, ORDER.length - 1)] as Role,
        };
        if (lasting === 'timed') timedRows.push({ ...row, ends });
        else if (lasting === 'oncall') {
          // On call for the run's service, with a rule that gives enough there at the shift's level.
          onCall.rules[rest.service] = { level: 2, role: row.role };
          onCall.shifts.push({ user: row.user, service: rest.service, level: 1 + (up % 2), ends });
        } else {
          boosted[who] = row;
          rows.push(row);
        }
      }
    }
    let changed: Change | undefined;
    if (change) {
      const { target } = change;
      const aim = ('boosted' in target ? boosted[target.boosted] : undefined) ??
        ('grant' in target ? rows[target.grant % Math.max(rows.length, 1)] : undefined) ??
        ('who' in target ? { user: resolve(target.who), scope: target.scope } : undefined) ??
        rows[0] ?? { user: rest.requester, scope: '' as Scope };
      changed = { before: change.before, user: aim.user, scope: aim.scope, to: change.to };
    }
    return {
      ...rest,
      grants: rows,
      timed: timedRows,
      oncall: onCall,
      confirmer: confirmer ?? rest.requester,
      change: changed,
    };
  });

// ---------------------------------------------------------------------------------------------------
// The independent model: what each checkpoint must decide, from the scenario alone

const rankOf = (r: Role | undefined) => (r === undefined ? -1 : ORDER.indexOf(r));
const grantKey = (u: string, s: Scope) => `${u}|${s}`;

function applyGrants(rows: GrantRow[]): Map<string, Role> {
  const map = new Map<string, Role>();
  for (const row of rows) map.set(grantKey(row.user, row.scope), row.role);
  return map;
}

function applyChange(grants: Map<string, Role>, change: Change): void {
  if (change.to === null) grants.delete(grantKey(change.user, change.scope));
  else grants.set(grantKey(change.user, change.scope), change.to);
}

/** The highest rank ops.yml gives the user: named, through a group they are in, or to everyone. */
function configRank(s: Scenario, u: User): number {
  let best = -1;
  for (const r of ORDER) {
    const g = s.config[r];
    if (!g) continue;
    const matches = g.users.includes(u) || g.groups.some((id) => s.members[id].includes(u)) || g.everyone;
    if (matches) best = Math.max(best, rankOf(r));
  }
  return best;
}

/** The checkpoints in the order they happen, ten minutes apart on the clock. */
const CHECKPOINTS: readonly Step[] = ['request', 'confirm', 'approve', 'execute'];

/** Whether a role ending at `ends` still counts at checkpoint `at`: it ends just before `ends`. */
function lasts(ends: End, at: Step): boolean {
  return ends === 'never' || CHECKPOINTS.indexOf(at) < CHECKPOINTS.indexOf(ends);
}

/** The highest rank the user holds for a time on the run's service at `at`: grants, then on-call shifts. */
function timedRank(s: Scenario, u: User, at: Step): number {
  let best = -1;
  for (const g of s.timed) {
    if (g.user === u && (g.scope === '' || g.scope === s.service) && lasts(g.ends, at)) {
      best = Math.max(best, rankOf(g.role));
    }
  }
  const rule = s.oncall.rules[s.service] ?? s.oncall.rules['*'];
  for (const shift of s.oncall.shifts) {
    const counts = shift.user === u && shift.service === s.service && lasts(shift.ends, at);
    if (rule && counts && shift.level <= rule.level) best = Math.max(best, rankOf(rule.role));
  }
  return best;
}

function permitted(s: Scenario, grants: Map<string, Role>, u: User, at: Step): boolean {
  const channelOk = s.allow.length === 0 || s.allow.includes(s.channel);
  const effective = Math.max(
    configRank(s, u),
    rankOf(grants.get(grantKey(u, ''))),
    rankOf(grants.get(grantKey(u, s.service))),
    timedRank(s, u, at),
  );
  return channelOk && effective >= rankOf(s.actions[s.service].role);
}

/**
 * Whether each checkpoint, taken on its own, permits: the right person, holding enough at that moment.
 * No state machine here: this is the property's premise, computed from the grants timeline alone.
 */
function checkpointsPermit(s: Scenario): boolean {
  const grants = applyGrants(s.grants);
  const risk = s.actions[s.service].risk;
  const atRequest = permitted(s, grants, s.requester, 'request');
  if (s.change?.before === 'confirm') applyChange(grants, s.change);
  const atConfirm = s.confirmer === s.requester && permitted(s, grants, s.confirmer, 'confirm');
  if (s.change?.before === 'approve') applyChange(grants, s.change);
  const atApprove = s.approver !== s.requester && permitted(s, grants, s.approver, 'approve');
  if (s.change?.before === 'execute') applyChange(grants, s.change);
  const atExecute = permitted(s, grants, s.requester, 'execute');
  return atRequest && (risk === 'low' || atConfirm) && (risk !== 'high' || atApprove) && atExecute;
}

type Outcome = 'ok' | 'forbidden' | 'conflict' | 'not_found';
type Step = 'request' | 'confirm' | 'approve' | 'execute';
type ModelState = 'none' | 'awaiting_confirmation' | 'awaiting_approval' | 'queued' | 'succeeded' | 'failed';

interface Expected {
  outcomes: Partial<Record<Exclude<Step, 'execute'>, Outcome>>;
  /** What the policy decided at each checkpoint it was consulted at. */
  policy: Partial<Record<Step, boolean>>;
  /** The checkpoints where the policy denied, in order, with who was denied. */
  denials: { checkpoint: Step; actor: User }[];
  /** Checkpoints where someone was refused before the policy was asked (wrong person). */
  identityRefusals: Step[];
  stateBeforeExecute: ModelState;
  final: ModelState;
  enqueued: boolean;
}

/** Plays the scenario through the model of DESIGN §4 and §8. */
function model(s: Scenario): Expected {
  const grants = applyGrants(s.grants);
  const risk = s.actions[s.service].risk;
  const out: Expected = {
    outcomes: {},
    policy: {},
    denials: [],
    identityRefusals: [],
    stateBeforeExecute: 'none',
    final: 'none',
    enqueued: false,
  };
  const changeBefore = (step: Change['before']) => {
    if (s.change?.before === step) applyChange(grants, s.change);
  };
  const ask = (checkpoint: Step, actor: User) => {
    const allowed = permitted(s, grants, actor, checkpoint);
    out.policy[checkpoint] = allowed;
    if (!allowed) out.denials.push({ checkpoint, actor });
    return allowed;
  };

  let state: ModelState = 'none';
  if (ask('request', s.requester)) {
    state = risk === 'low' ? 'queued' : 'awaiting_confirmation';
    out.enqueued = state === 'queued';
    out.outcomes.request = 'ok';
  } else out.outcomes.request = 'forbidden';

  changeBefore('confirm');
  if (state !== 'none') {
    if (s.confirmer !== s.requester) {
      out.outcomes.confirm = 'forbidden';
      out.identityRefusals.push('confirm');
    } else if (!ask('confirm', s.confirmer)) out.outcomes.confirm = 'forbidden';
    else if (state === 'awaiting_confirmation') {
      state = risk === 'high' ? 'awaiting_approval' : 'queued';
      out.enqueued ||= state === 'queued';
      out.outcomes.confirm = 'ok';
    } else out.outcomes.confirm = 'conflict';
  }

  changeBefore('approve');
  if (state !== 'none') {
    if (s.approver === s.requester) {
      out.outcomes.approve = 'forbidden';
      out.identityRefusals.push('approve');
    } else if (!ask('approve', s.approver)) out.outcomes.approve = 'forbidden';
    else if (state === 'awaiting_approval') {
      state = 'queued';
      out.enqueued = true;
      out.outcomes.approve = 'ok';
    } else out.outcomes.approve = 'conflict';
  }

  changeBefore('execute');
  out.stateBeforeExecute = state;
  if (state === 'queued') state = ask('execute', s.requester) ? 'succeeded' : 'failed';
  out.final = state;
  return out;
}

// ---------------------------------------------------------------------------------------------------
// The system under test

/** Run cards kept in memory: the RunCards port without Slack. */
class MemoryCards implements RunCards {
  readonly posted: Run[] = [];
  readonly updated: Run[] = [];
  readonly replied: Run[] = [];
  readonly notes: { run: Run; text: string }[] = [];
  private next = 0;

  async post(run: Run): Promise<PostedCard> {
    this.posted.push(run);
    this.next++;
    const ts = `1700000000.${String(this.next).padStart(6, '0')}`;
    return { shown: async () => ts };
  }
  async update(run: Run): Promise<void> {
    this.updated.push(run);
  }
  async reply(run: Run): Promise<void> {
    this.replied.push(run);
  }
  async note(run: Run, text: string): Promise<void> {
    this.notes.push({ run, text });
  }
  async output(): Promise<void> {}
  async attach(): Promise<void> {}
}

const TARGET_ENV = 'AUTHZ_TARGET_DATABASE_URL';

/** Each service's PagerDuty service (pagerduty.services). */
const PAGERDUTY_SERVICES: Record<string, Service> = { PSVCBENTHAM: 'bentham', PSVCLEDGER: 'ledger' };

/** When each checkpoint happens, from the scenario's start; a role ends five minutes before its `ends`. */
const AT_MS: Record<Step, number> = { request: 0, confirm: 600_000, approve: 1_200_000, execute: 1_800_000 };
const ENDS_MS: Record<End, number> = {
  confirm: AT_MS.confirm - 300_000,
  approve: AT_MS.approve - 300_000,
  execute: AT_MS.execute - 300_000,
  never: 86_400_000,
};

/** Who is on call in the scenario, as PagerDuty would say (a PagerDuty user per Slack user: `P<user>`). */
function onCallDirectory(s: Scenario, start: number): OnCallDirectory {
  return {
    async shifts(pagerDutyService) {
      return s.oncall.shifts
        .filter((shift) => PAGERDUTY_SERVICES[pagerDutyService] === shift.service)
        .map((shift) => ({
          user: `P${shift.user}`,
          level: shift.level,
          start: new Date(start - 3_600_000),
          end: new Date(start + ENDS_MS[shift.ends]),
        }));
    },
    async userOf(slackUser) {
      return `P${slackUser}`;
    },
  };
}

/** ops.yml for a scenario, as YAML text, parsed the way opsbot parses its config file. */
function configFor(s: Scenario, targetUrl: string): OpsConfig {
  const action = (service: Service) => ({
    kind: 'sql',
    summary: `Count an attempt on a study (${service})`,
    database: 'main',
    params: { study: { type: 'string', pattern: '^study_[a-z0-9]+$' } },
    preview: 'SELECT id, attempt_count FROM jobs WHERE study_id = :study ORDER BY id',
    run: `UPDATE jobs SET attempt_count = attempt_count + ${ACTION[service].adds} WHERE study_id = :study`,
    role: s.actions[service].role,
    risk: s.actions[service].risk,
  });
  const service = (name: Service) => ({
    environment: 'production',
    databases: { main: { url: `\${${TARGET_ENV}}` } },
    actions: { [ACTION[name].name]: action(name) },
  });
  const oncallRoles = Object.keys(s.oncall.rules).length > 0 ? { oncall_roles: s.oncall.rules } : {};
  const text = stringify({
    workspace: { ops_channel: 'C0OPS' },
    roles: s.config,
    channels: { allow: s.allow },
    pagerduty: { services: PAGERDUTY_SERVICES, ...oncallRoles },
    services: { bentham: service('bentham'), ledger: service('ledger') },
  });
  return parseOpsConfig(text, { [TARGET_ENV]: targetUrl });
}

const log = createLogger('silent');
const ADMIN = 'U0ROOT';

let own: { url: string; drop(): Promise<void> } | undefined;
let target: { url: string; drop(): Promise<void> } | undefined;
let pool: pg.Pool;
let jobs: pg.Pool;
let targets: TargetDatabases;
let store: RunStore;
let grantStore: GrantStore;
let accessStore: AccessGrantStore;
let iteration = 0;

beforeAll(async () => {
  own = await createTestDatabase('opsbot_authz');
  target = await createTestDatabase('bentham_authz');
  pool = new pg.Pool({ connectionString: own.url, max: 3 });
  await migrate(pool);
  jobs = await createBenthamJobs(target.url);
  store = new RunStore(pool);
  grantStore = new GrantStore(pool);
  accessStore = new AccessGrantStore(pool);
  // The targets' pools depend only on the services' database URLs, which every scenario shares.
  const baseline = configFor(
    {
      config: {},
      members: { S0SRE: [], S0ONCALL: [] },
      grants: [],
      timed: [],
      oncall: { rules: {}, shifts: [] },
      actions: { bentham: { role: 'admin', risk: 'high' }, ledger: { role: 'admin', risk: 'high' } },
      allow: [],
      channel: 'C0OPS',
      service: 'bentham',
      requester: 'U0A',
      confirmer: 'U0A',
      approver: 'U0B',
      change: undefined,
    },
    target.url,
  );
  targets = new TargetDatabases(baseline.services, log);
});

afterAll(async () => {
  await targets?.close();
  await jobs?.end();
  await pool?.end();
  await own?.drop();
  await target?.drop();
});

async function auditHead(): Promise<string> {
  const { rows } = await pool.query<{ id: string }>('SELECT coalesce(max(id), 0)::text AS id FROM audit_log');
  return rows[0]?.id ?? '0';
}

const outcomeOf = (error: unknown): Outcome => {
  if (error instanceof ForbiddenError) return 'forbidden';
  if (error instanceof ConflictError) return 'conflict';
  if (error instanceof NotFoundError) return 'not_found';
  throw error;
};

async function attempt(work: () => Promise<unknown>): Promise<Outcome> {
  try {
    await work();
    return 'ok';
  } catch (error) {
    return outcomeOf(error);
  }
}

/** Plays one scenario through the real RunService; returns what was observed. */
async function play(s: Scenario) {
  iteration++;
  const study = `study_p${iteration}`;
  await pool.query('TRUNCATE role_grants, access_grants');
  await jobs.query(
    "INSERT INTO jobs (study_id, status, attempt_count, error_message) VALUES ($1, 'failed', 0, 'boom')",
    [study],
  );
  for (const g of s.grants) await grantStore.grant(ADMIN, g.user, g.role, g.scope || undefined);
  // The clock the resolver reads: each checkpoint ten minutes after the one before.
  const start = Date.now();
  let clock = new Date(start);
  const at = (step: Step) => {
    clock = new Date(start + AT_MS[step]);
  };
  // Just-in-time grants asked for and approved now, each for as long as takes it to just before its end.
  for (const g of s.timed) {
    const asked = await accessStore.request({
      user: g.user,
      role: g.role,
      service: g.scope || undefined,
      reason: 'property',
      durationMs: ENDS_MS[g.ends],
      requestedIn: 'C0OPS',
      cardChannel: 'C0OPS',
    });
    await accessStore.approve(asked.id, ADMIN, 60_000);
  }

  const config = configFor(s, target?.url ?? '');
  const groups = new GroupMembers(
    async (groupId) => [...s.members[groupId as Group]],
    log,
    60_000,
    () => 0,
  );
  const resolver = new RoleResolver(
    config.roles,
    groups,
    grantStore,
    [grantRoles(accessStore, 'UTC'), new OnCallRoles(config, onCallDirectory(s, start), log, 60_000)],
    () => clock,
  );
  const authorizer = new Authorizer({
    config,
    rolesOf: (userId) => resolver.rolesOf(userId),
    takeRequest: async () => true,
    auditDenial: (entry) => store.auditDenial(entry),
  });
  const cards = new MemoryCards();
  const enqueued: string[] = [];
  const kubernetes = new KubernetesTargets(config.services);
  const docker = new DockerTargets(config.services);
  const redactor = new Redactor([]);
  const runs = new RunService({
    config,
    store,
    pool,
    targets,
    kubernetes,
    docker,
    redactor,
    cards,
    enqueue: async (runId) => {
      enqueued.push(runId);
    },
    authorizer,
    log,
  });
  const executor = new RunExecutor({
    config,
    store,
    pool,
    targets,
    kubernetes,
    docker,
    redactor,
    cards,
    authorizer,
    log,
  });
  const change = async (before: Change['before']) => {
    const c = s.change;
    if (c?.before !== before) return;
    if (c.to === null) await grantStore.revoke(ADMIN, c.user, c.scope || undefined);
    else await grantStore.grant(ADMIN, c.user, c.to, c.scope || undefined);
  };

  const head = await auditHead();
  const outcomes: Expected['outcomes'] = {};
  let runId: string | undefined;
  at('request');
  outcomes.request = await attempt(async () => {
    runId = (
      await runs.request({
        actor: s.requester,
        channel: s.channel,
        service: s.service,
        action: ACTION[s.service].name,
        params: { study },
      })
    ).id;
  });
  await change('confirm');
  at('confirm');
  if (runId) outcomes.confirm = await attempt(() => runs.confirm(s.confirmer, runId as string));
  await change('approve');
  at('approve');
  if (runId) outcomes.approve = await attempt(() => runs.approve(s.approver, runId as string));
  await change('execute');
  at('execute');
  const stateBeforeExecute = runId ? (await store.get(runId))?.state : undefined;
  // As the worker would, for any run it is handed, whether or not it was queued.
  if (runId) await executor.execute(runId);

  const run = runId ? await store.get(runId) : undefined;
  const { rows: createdRows } = await pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM action_runs WHERE params->>'study' = $1",
    [study],
  );
  const { rows: jobRows } = await jobs.query<{ attempt_count: number }>(
    'SELECT attempt_count FROM jobs WHERE study_id = $1',
    [study],
  );
  const { rows: audit } = await pool.query<{
    actor: string;
    event: string;
    run_id: string | null;
    detail: { checkpoint?: Step };
  }>(
    `SELECT actor, event, run_id, detail FROM audit_log
      WHERE id > $1 AND event IN ('request.denied', 'run.running', 'run.succeeded')
      ORDER BY id`,
    [head],
  );
  return {
    study,
    runId,
    outcomes,
    stateBeforeExecute,
    run,
    runsCreated: createdRows[0]?.n ?? -1,
    attemptCount: jobRows[0]?.attempt_count ?? -1,
    audit,
    enqueued,
    cards,
  };
}

/** A scenario with everything spelled out; for the examples that always run. */
function scenario(overrides: Partial<Scenario>): Scenario {
  return {
    config: { operator: { users: ['U0A'], groups: ['S0SRE'], everyone: false } },
    members: { S0SRE: ['U0B'], S0ONCALL: [] },
    grants: [],
    timed: [],
    oncall: { rules: {}, shifts: [] },
    actions: { bentham: { role: 'operator', risk: 'high' }, ledger: { role: 'admin', risk: 'medium' } },
    allow: ['C0OPS'],
    channel: 'C0OPS',
    service: 'bentham',
    requester: 'U0A',
    confirmer: 'U0A',
    approver: 'U0B',
    change: undefined,
    ...overrides,
  };
}

/** Hand-picked scenarios that run before the random ones, so every path is exercised on every run. */
const EXAMPLES: Scenario[] = [
  // Everyone permitted at every checkpoint: the run succeeds.
  scenario({}),
  // The requester's only role is a global grant, revoked after approval: stopped at execute.
  scenario({
    config: { operator: { users: [], groups: ['S0SRE'], everyone: false } },
    grants: [{ user: 'U0C', scope: '', role: 'admin' }],
    requester: 'U0C',
    confirmer: 'U0C',
    change: { before: 'execute', user: 'U0C', scope: '', to: null },
  }),
  // The requester's scoped grant is lowered before they confirm; the approver then finds nothing to approve.
  scenario({
    config: {},
    grants: [
      { user: 'U0C', scope: 'bentham', role: 'operator' },
      { user: 'U0B', scope: '', role: 'admin' },
    ],
    requester: 'U0C',
    confirmer: 'U0C',
    change: { before: 'confirm', user: 'U0C', scope: 'bentham', to: 'responder' },
  }),
  // The requester tries to approve their own high-risk run.
  scenario({ approver: 'U0A' }),
  // Someone else presses Confirm on a medium-risk run.
  scenario({
    actions: { bentham: { role: 'operator', risk: 'medium' }, ledger: { role: 'admin', risk: 'low' } },
    confirmer: 'U0B',
  }),
  // Outside the allow-list, even for an admin.
  scenario({ config: { admin: { users: ['U0A'], groups: [], everyone: false } }, channel: 'C0RANDOM' }),
  // A grant on the other service does not count here (low risk, so request is the only human step).
  scenario({
    config: {},
    grants: [{ user: 'U0D', scope: 'ledger', role: 'admin' }],
    actions: { bentham: { role: 'responder', risk: 'low' }, ledger: { role: 'admin', risk: 'low' } },
    requester: 'U0D',
  }),
  // The approver's scoped grant is downgraded before they approve.
  scenario({
    grants: [{ user: 'U0E', scope: 'bentham', role: 'operator' }],
    approver: 'U0E',
    change: { before: 'approve', user: 'U0E', scope: 'bentham', to: 'viewer' },
  }),
  // A low-risk run by someone permitted only through everyone, on ledger, with an empty allow-list.
  scenario({
    config: { responder: { users: [], groups: [], everyone: true } },
    actions: { bentham: { role: 'admin', risk: 'high' }, ledger: { role: 'responder', risk: 'low' } },
    service: 'ledger',
    allow: [],
    channel: 'C0RANDOM',
    requester: 'U0E',
    confirmer: 'U0E',
  }),
  // Roles held for a time. The requester's only role is an approved grant that ends between approval and
  // execution: confirmed and approved while it counted, stopped at execution.
  scenario({
    config: {},
    grants: [{ user: 'U0B', scope: '', role: 'admin' }],
    timed: [{ user: 'U0C', scope: 'bentham', role: 'operator', ends: 'execute' }],
    requester: 'U0C',
    confirmer: 'U0C',
  }),
  // The requester is operator on bentham while on call; the shift ends before execution (medium risk).
  scenario({
    config: {},
    oncall: {
      rules: { bentham: { level: 1, role: 'operator' } },
      shifts: [{ user: 'U0C', service: 'bentham', level: 1, ends: 'execute' }],
    },
    actions: { bentham: { role: 'operator', risk: 'medium' }, ledger: { role: 'admin', risk: 'medium' } },
    requester: 'U0C',
    confirmer: 'U0C',
  }),
  // The approver's shift ends before they press Approve.
  scenario({
    oncall: {
      rules: { '*': { level: 2, role: 'operator' } },
      shifts: [{ user: 'U0E', service: 'bentham', level: 2, ends: 'approve' }],
    },
    approver: 'U0E',
  }),
  // A shift on ledger and a grant on ledger count for nothing on bentham; level 2 is not level 1 or better.
  scenario({
    config: {},
    timed: [{ user: 'U0D', scope: 'ledger', role: 'admin', ends: 'never' }],
    oncall: {
      rules: { '*': { level: 1, role: 'admin' } },
      shifts: [
        { user: 'U0D', service: 'ledger', level: 1, ends: 'never' },
        { user: 'U0D', service: 'bentham', level: 2, ends: 'never' },
      ],
    },
    actions: { bentham: { role: 'responder', risk: 'low' }, ledger: { role: 'admin', risk: 'low' } },
    requester: 'U0D',
  }),
  // A grant on every service and a shift that outlast the run: it succeeds on their strength alone.
  scenario({
    config: {},
    timed: [{ user: 'U0C', scope: '', role: 'operator', ends: 'never' }],
    oncall: {
      rules: { bentham: { level: 1, role: 'operator' } },
      shifts: [{ user: 'U0B', service: 'bentham', level: 1, ends: 'never' }],
    },
    requester: 'U0C',
    confirmer: 'U0C',
    approver: 'U0B',
    members: { S0SRE: [], S0ONCALL: [] },
  }),
];

describe('authorization, as a property of the whole run lifecycle', () => {
  const seen = { succeeded: 0, deniedAtRequest: 0, deniedLater: 0, stoppedAtExecute: 0, stoppedByTime: 0 };

  it('finds no execution without a permitting policy decision at each checkpoint', async () => {
    await fc.assert(
      fc.asyncProperty(scenarios, async (s) => {
        const expected = model(s);
        const seenRun = await play(s);
        const risk = s.actions[s.service].risk;

        // The headline property, both ways: the target changed if and only if every checkpoint permitted.
        const everyCheckpointPermits = checkpointsPermit(s);
        expect(seenRun.attemptCount !== 0).toBe(everyCheckpointPermits);
        expect(seenRun.attemptCount).toBe(everyCheckpointPermits ? ACTION[s.service].adds : 0);
        expect(seenRun.run?.state === 'succeeded').toBe(everyCheckpointPermits);

        // Each step's outcome, and the run's state, as the model says.
        expect(seenRun.outcomes).toEqual(expected.outcomes);
        expect(seenRun.runsCreated).toBe(expected.outcomes.request === 'ok' ? 1 : 0);
        expect(seenRun.stateBeforeExecute ?? 'none').toBe(expected.stateBeforeExecute);
        expect(seenRun.run?.state ?? 'none').toBe(expected.final);
        expect(seenRun.enqueued).toEqual(expected.enqueued && seenRun.runId ? [seenRun.runId] : []);
        if (expected.final === 'failed') expect(seenRun.run?.error).toMatch(/^Stopped before running: /);
        if (expected.final === 'succeeded') {
          expect(seenRun.run?.confirmed_by).toBe(risk === 'low' ? null : s.requester);
          expect(seenRun.run?.approved_by).toBe(risk === 'high' ? s.approver : null);
        }

        // The audit log: 'run.running' and 'run.succeeded' only when execution was permitted (the worker
        // checks before marking a run running), and one denial per refusal at the checkpoint where it happened.
        const events = (name: string) => seenRun.audit.filter((row) => row.event === name);
        expect(events('run.running').length).toBe(expected.final === 'succeeded' ? 1 : 0);
        expect(events('run.succeeded').length).toBe(expected.final === 'succeeded' ? 1 : 0);
        const denials = events('request.denied');
        for (const denial of expected.denials) {
          const matching = denials.filter(
            (row) => row.detail.checkpoint === denial.checkpoint && row.actor === denial.actor,
          );
          expect(matching, `one audited denial at ${denial.checkpoint}`).toHaveLength(1);
          expect(matching[0]?.run_id ?? null).toBe(denial.checkpoint === 'request' ? null : seenRun.runId);
        }
        const deniedAt = new Set<Step>([
          ...expected.denials.map((d) => d.checkpoint),
          ...expected.identityRefusals,
        ]);
        for (const row of denials) expect(deniedAt).toContain(row.detail.checkpoint);
        for (const checkpoint of expected.identityRefusals) {
          expect(
            denials.some((row) => row.detail.checkpoint === checkpoint),
            `audited refusal at ${checkpoint}`,
          ).toBe(true);
        }

        // The card was posted exactly when a run was created; the outcome replied when it finished.
        expect(seenRun.cards.posted.map((run) => run.id)).toEqual(seenRun.runId ? [seenRun.runId] : []);
        const finished = expected.final === 'succeeded' || expected.final === 'failed';
        expect(seenRun.cards.replied.map((run) => run.state)).toEqual(finished ? [expected.final] : []);

        if (expected.final === 'succeeded') seen.succeeded++;
        else if (expected.outcomes.request === 'forbidden') seen.deniedAtRequest++;
        else if (expected.final === 'failed') seen.stoppedAtExecute++;
        // Stopped at execution with no grant changed: a role held for a time had ended.
        if (expected.final === 'failed' && s.change === undefined) seen.stoppedByTime++;
        else seen.deniedLater++;
      }),
      { numRuns: 60, examples: EXAMPLES.map((s) => [s]) },
    );
    // The examples alone reach each of these; a generator or model gone wrong would show here.
    expect(seen.succeeded).toBeGreaterThan(0);
    expect(seen.deniedAtRequest).toBeGreaterThan(0);
    expect(seen.deniedLater).toBeGreaterThan(0);
    expect(seen.stoppedAtExecute).toBeGreaterThan(0);
    expect(seen.stoppedByTime).toBeGreaterThan(0);
  }, 120_000);
});
