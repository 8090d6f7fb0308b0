import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ActionConfig, ActionConfigSchema } from '../../../src/actions/registry.js';
import type { Risk } from '../../../src/actions/types.js';
import { Authorizer, type AuthorizerDeps } from '../../../src/auth/authorizer.js';
import { type Decision, decide, type PolicyInput } from '../../../src/auth/policy.js';
import type { ActorRoles, Role } from '../../../src/auth/roles.js';
import { ForbiddenError } from '../../../src/errors.js';

/** Written out here, independently of src: a higher role includes the lower ones. */
const ORDER: readonly Role[] = ['viewer', 'responder', 'operator', 'admin'];
const RISK_LEVELS: readonly Risk[] = ['low', 'medium', 'high'];
const rank = (role: Role | undefined) => (role === undefined ? -1 : ORDER.indexOf(role));

const ACTOR = 'U0ALICE';
const SERVICE = 'bentham';
const OTHER = 'ledger';
const SOURCE = 'ops.yml roles.X.users';

/** Where the actor holds their role. */
type Scope = 'global' | 'this service' | 'another service';
const SCOPES: readonly Scope[] = ['global', 'this service', 'another service'];

interface ChannelSetup {
  name: string;
  allow: string[];
  channel: string;
  allowed: boolean;
}
const CHANNELS: readonly ChannelSetup[] = [
  { name: 'a listed channel', allow: ['C0OPS', 'C0INC'], channel: 'C0INC', allowed: true },
  { name: 'an unlisted channel', allow: ['C0OPS', 'C0INC'], channel: 'C0RANDOM', allowed: false },
  { name: 'any channel (empty allow-list)', allow: [], channel: 'C0RANDOM', allowed: true },
];

function rolesHeld(role: Role | undefined, scope: Scope): ActorRoles {
  if (!role) return { services: {} };
  const held = { role, source: SOURCE };
  if (scope === 'global') return { global: held, services: {} };
  return { services: { [scope === 'this service' ? SERVICE : OTHER]: held } };
}

function actionConfig(role: Role, risk: Risk): ActionConfig {
  return ActionConfigSchema.parse({
    kind: 'sql',
    summary: 'Retry the failed jobs of a study',
    database: 'main',
    params: { study: { type: 'string' } },
    run: 'UPDATE jobs SET status = $$pending$$ WHERE study_id = :study',
    role,
    risk,
  });
}

interface Row {
  held: Role | undefined;
  scope: Scope;
  required: Role;
  risk: Risk;
  channel: ChannelSetup;
  /** Computed here from the row alone, not by calling src. */
  expected: Decision;
}

function expectedDecision(held: Role | undefined, scope: Scope, required: Role, ch: ChannelSetup): Decision {
  if (!ch.allowed) {
    return {
      allow: false,
      reason: "Actions can't be requested in this channel; use <#C0OPS> or <#C0INC>.",
    };
  }
  const effective = held !== undefined && scope !== 'another service' ? held : undefined;
  const needs = `\`retry\` on bentham needs ${required}`;
  if (effective === undefined) return { allow: false, reason: `${needs}; <@U0ALICE> has no opsbot role.` };
  if (rank(effective) < rank(required)) {
    return { allow: false, reason: `${needs}; <@U0ALICE> is ${effective} (${SOURCE}).` };
  }
  return { allow: true };
}

const HELD: readonly (Role | undefined)[] = [undefined, ...ORDER];
const TABLE: Row[] = HELD.flatMap((held) =>
  // Without a role, where it is held does not apply: one scope is enough.
  (held === undefined ? (['global'] as Scope[]) : SCOPES).flatMap((scope) =>
    ORDER.flatMap((required) =>
      RISK_LEVELS.flatMap((risk) =>
        CHANNELS.map((channel) => ({
          held,
          scope,
          required,
          risk,
          channel,
          expected: expectedDecision(held, scope, required, channel),
        })),
      ),
    ),
  ),
);

function input(row: Row): PolicyInput {
  return {
    actor: ACTOR,
    roles: rolesHeld(row.held, row.scope),
    channel: row.channel.channel,
    allowedChannels: row.channel.allow,
    service: SERVICE,
    action: 'retry',
    requiredRole: actionConfig(row.required, row.risk).role,
  };
}

/** An Authorizer over fixed roles that records what it was asked and what it audited. */
function authorizerFor(roles: ActorRoles, allow: string[]) {
  const audited: Parameters<AuthorizerDeps['auditDenial']>[0][] = [];
  const asked: string[] = [];
  const authorizer = new Authorizer({
    config: {
      channels: { allow },
      workspace: {
        ops_channel: 'C0OPS',
        timezone: 'UTC',
        requests_per_minute: 20,
        reads_per_minute: 60,
        health_probe_every: null,
      },
    },
    rolesOf: async (userId) => {
      asked.push(userId);
      return roles;
    },
    takeRequest: async () => true,
    auditDenial: async (entry) => {
      audited.push(entry);
    },
  });
  return { authorizer, audited, asked };
}

describe('the policy table: role × scope × required role × risk × channel', () => {
  it('covers every combination', () => {
    // (no role + 4 roles × 3 scopes) × 4 required roles × 3 risks × 3 channel setups
    expect(TABLE).toHaveLength((1 + 4 * 3) * 4 * 3 * 3);
    expect(TABLE.filter((row) => row.expected.allow).length).toBeGreaterThan(0);
    expect(TABLE.filter((row) => !row.expected.allow).length).toBeGreaterThan(0);
  });

  it.each(
    TABLE.map((row) => [
      row.held ?? 'no role',
      row.held ? `(${row.scope})` : '',
      row.required,
      row.risk,
      row.channel.name,
      row,
    ]),
  )('%s %s, action needs %s, %s risk, in %s', async (_held, _scope, _required, _risk, _channel, row) => {
    const r = row as Row;
    expect(decide(input(r))).toEqual(r.expected);

    // The same decision through the Authorizer, with the action's risk in its config.
    const { authorizer, audited, asked } = authorizerFor(rolesHeld(r.held, r.scope), r.channel.allow);
    const request = {
      actor: ACTOR,
      channel: r.channel.channel,
      service: SERVICE,
      action: 'retry',
      config: actionConfig(r.required, r.risk),
      params: { study: 'study_abc123' },
    };
    expect(await authorizer.decide(request)).toEqual(r.expected);
    expect(asked).toEqual([ACTOR]);
    if (r.expected.allow) {
      await expect(authorizer.require(request, 'execute', 'run_1')).resolves.toBeUndefined();
      expect(audited).toEqual([]);
    } else {
      const refused = authorizer.require(request, 'execute', 'run_1');
      await expect(refused).rejects.toBeInstanceOf(ForbiddenError);
      await expect(refused).rejects.toThrow(r.expected.reason);
      expect(audited).toEqual([
        {
          actor: ACTOR,
          service: SERVICE,
          action: 'retry',
          runId: 'run_1',
          detail: { checkpoint: 'execute', reason: r.expected.reason, channel: r.channel.channel },
        },
      ]);
    }
  });

  it('never lets risk change the decision (risk decides confirmation and approval, not permission)', async () => {
    const groups = new Map<string, Decision[]>();
    for (const row of TABLE) {
      const key = `${row.held}|${row.scope}|${row.required}|${row.channel.name}`;
      const { authorizer } = authorizerFor(rolesHeld(row.held, row.scope), row.channel.allow);
      const decision = await authorizer.decide({
        actor: ACTOR,
        channel: row.channel.channel,
        service: SERVICE,
        action: 'retry',
        config: actionConfig(row.required, row.risk),
      });
      groups.set(key, [...(groups.get(key) ?? []), decision]);
    }
    for (const decisions of groups.values()) {
      expect(decisions).toHaveLength(RISK_LEVELS.length);
      for (const decision of decisions) expect(decision).toEqual(decisions[0]);
    }
  });
});

describe('decide with global and scoped roles together (property)', () => {
  it('allows iff the channel is allowed and the higher of the global and this-service role suffices', () => {
    const role = fc.option(fc.constantFrom(...ORDER), { nil: undefined });
    fc.assert(
      fc.property(
        role,
        role,
        role,
        fc.constantFrom(...ORDER),
        fc.constantFrom(...CHANNELS),
        (global, here, elsewhere, required, ch) => {
          const roles: ActorRoles = {
            ...(global ? { global: { role: global, source: 'global' } } : {}),
            services: {
              ...(here ? { [SERVICE]: { role: here, source: 'here' } } : {}),
              ...(elsewhere ? { [OTHER]: { role: elsewhere, source: 'elsewhere' } } : {}),
            },
          };
          const effective = Math.max(rank(global), rank(here));
          const allowed = ch.allowed && effective >= rank(required);
          const decision = decide({
            actor: ACTOR,
            roles,
            channel: ch.channel,
            allowedChannels: ch.allow,
            service: SERVICE,
            action: 'retry',
            requiredRole: required,
          });
          expect(decision.allow).toBe(allowed);
          if (!decision.allow && ch.allowed) {
            // The reason names the role that counted, and where it came from.
            const counted =
              effective < 0
                ? 'has no opsbot role'
                : `is ${ORDER[effective]} (${rank(here) > rank(global) ? 'here' : 'global'})`;
            expect(decision.reason).toContain(`<@${ACTOR}> ${counted}`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('decide: reasons and argument problems', () => {
  const base: PolicyInput = {
    actor: 'U0BOB',
    roles: {
      global: { role: 'operator', source: 'ops.yml roles.operator.groups (<!subteam^S0SRE>)' },
      services: {},
    },
    channel: 'C0OPS',
    allowedChannels: ['C0OPS'],
    service: 'bentham',
    action: 'scale',
    requiredRole: 'operator',
  };
  const withBase = (overrides: Partial<PolicyInput>): PolicyInput => ({ ...base, ...overrides });

  it('allows when nothing is wrong', () => {
    expect(decide(withBase({}))).toEqual({ allow: true });
  });

  it('denies with the argument problem as the reason when the role and channel are fine', () => {
    expect(decide(withBase({ argumentProblem: 'Replicas must be at most 10.' }))).toEqual({
      allow: false,
      reason: 'Replicas must be at most 10.',
    });
  });

  it('reports the channel, then the role, before an argument problem', () => {
    const problem = 'Replicas must be at most 10.';
    const channel = decide(withBase({ argumentProblem: problem, channel: 'C0ELSE' }));
    expect(channel).toEqual({
      allow: false,
      reason: "Actions can't be requested in this channel; use <#C0OPS>.",
    });
    const role = decide(withBase({ argumentProblem: problem, requiredRole: 'admin' }));
    expect(role).toEqual({
      allow: false,
      reason:
        '`scale` on bentham needs admin; <@U0BOB> is operator (ops.yml roles.operator.groups (<!subteam^S0SRE>)).',
    });
  });

  it('ignores an empty argument problem', () => {
    expect(decide(withBase({ argumentProblem: '' }))).toEqual({ allow: true });
  });

  it('names the actor as a mention and where their role comes from', () => {
    const decision = decide(
      withBase({
        actor: 'U0CAROL',
        roles: { services: { bentham: { role: 'viewer', source: 'granted by <@U0ADMIN>' } } },
      }),
    );
    expect(decision).toEqual({
      allow: false,
      reason: '`scale` on bentham needs operator; <@U0CAROL> is viewer (granted by <@U0ADMIN>).',
    });
  });

  it('says so when the actor holds no role at all', () => {
    expect(decide(withBase({ actor: 'U0NOBODY', roles: { services: {} } }))).toEqual({
      allow: false,
      reason: '`scale` on bentham needs operator; <@U0NOBODY> has no opsbot role.',
    });
  });

  it('names every allowed channel when refusing a channel, whatever the role', () => {
    const decision = decide(
      withBase({
        roles: { global: { role: 'admin', source: 'x' }, services: {} },
        channel: 'C0RANDOM',
        allowedChannels: ['C0OPS', 'C0INC', 'C0SRE'],
        requiredRole: 'viewer',
      }),
    );
    expect(decision).toEqual({
      allow: false,
      reason: "Actions can't be requested in this channel; use <#C0OPS> or <#C0INC> or <#C0SRE>.",
    });
  });

  it('matches channel IDs exactly', () => {
    for (const channel of ['c0ops', 'C0OPS2', 'C0OP']) {
      expect(decide(withBase({ channel })).allow).toBe(false);
    }
  });
});
