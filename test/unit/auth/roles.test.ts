import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ActorRoles,
  configGroups,
  configRole,
  type HeldRole,
  higher,
  ROLES,
  type Role,
  roleOn,
  roleRank,
} from '../../../src/auth/roles.js';
import { parseOpsConfig } from '../../../src/config/load.js';
import { type OpsConfig, OpsConfigSchema } from '../../../src/config/ops-config.js';

/** The `roles:` section of an ops.yml, parsed the way opsbot parses it. */
const rolesFrom = (yaml: string): OpsConfig['roles'] =>
  parseOpsConfig(`workspace: { ops_channel: C0OPS }\nroles:\n${yaml}`, {}).roles;

/** The documented order, written out here rather than taken from src. */
const ORDER: readonly Role[] = ['viewer', 'responder', 'operator', 'admin'];

const inGroups =
  (...groups: string[]) =>
  (id: string) =>
    groups.includes(id);
const inNoGroup = () => false;

const held = (role: Role, source = `source of ${role}`): HeldRole => ({ role, source });

describe('roleRank', () => {
  it('orders viewer < responder < operator < admin, every role distinct', () => {
    const ranks = ORDER.map(roleRank);
    for (let i = 1; i < ranks.length; i++) expect(ranks[i]).toBeGreaterThan(ranks[i - 1] as number);
    expect(new Set(ranks).size).toBe(ORDER.length);
  });

  it('knows exactly the four roles', () => {
    expect([...ROLES].sort()).toEqual([...ORDER].sort());
    for (const role of ORDER) expect(roleRank(role)).toBeGreaterThanOrEqual(0);
  });
});

describe('higher', () => {
  it('returns whichever is defined when the other is not', () => {
    const operator = held('operator');
    expect(higher(undefined, undefined)).toBeUndefined();
    expect(higher(operator, undefined)).toBe(operator);
    expect(higher(undefined, operator)).toBe(operator);
  });

  it.each(ORDER.flatMap((a) => ORDER.map((b) => [a, b] as const)))(
    'of %s and %s, keeps the higher role, the first on a tie',
    (a, b) => {
      const first = held(a, 'first');
      const second = held(b, 'second');
      const expected = ORDER.indexOf(b) > ORDER.indexOf(a) ? second : first;
      expect(higher(first, second)).toBe(expected);
    },
  );
});

describe('roleOn', () => {
  it('uses the global role on every service', () => {
    const roles: ActorRoles = { global: held('responder', 'everyone'), services: {} };
    expect(roleOn(roles, 'bentham')).toEqual(held('responder', 'everyone'));
    expect(roleOn(roles, 'ledger')).toEqual(held('responder', 'everyone'));
  });

  it('uses a scoped role only on its own service: operator on bentham, viewer elsewhere', () => {
    const roles: ActorRoles = {
      global: held('viewer', 'ops.yml roles.viewer.everyone'),
      services: { bentham: held('operator', 'granted by <@U0ADMIN>') },
    };
    expect(roleOn(roles, 'bentham')).toEqual(held('operator', 'granted by <@U0ADMIN>'));
    expect(roleOn(roles, 'ledger')).toEqual(held('viewer', 'ops.yml roles.viewer.everyone'));
  });

  it('keeps the global role where it is higher than the scoped one', () => {
    const roles: ActorRoles = {
      global: held('admin', 'ops.yml roles.admin.users'),
      services: { bentham: held('responder', 'granted by <@U0ADMIN>') },
    };
    expect(roleOn(roles, 'bentham')).toEqual(held('admin', 'ops.yml roles.admin.users'));
  });

  it('gives nothing without a global role, except on the scoped service', () => {
    const roles: ActorRoles = { services: { bentham: held('operator') } };
    expect(roleOn(roles, 'bentham')?.role).toBe('operator');
    expect(roleOn(roles, 'ledger')).toBeUndefined();
    expect(roleOn({ services: {} }, 'bentham')).toBeUndefined();
  });

  it('finds nothing for service names that are Object.prototype properties', () => {
    const roles: ActorRoles = { services: {} };
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(roleOn(roles, name)).toBeUndefined();
    }
  });

  it('is the higher of the global and the scoped role, for any pair (property)', () => {
    const role = fc.constantFrom(...ORDER);
    fc.assert(
      fc.property(fc.option(role, { nil: undefined }), fc.option(role, { nil: undefined }), (g, s) => {
        const roles: ActorRoles = {
          ...(g ? { global: held(g, 'global') } : {}),
          services: s ? { bentham: held(s, 'scoped') } : {},
        };
        const ranks = [g, s].filter((r): r is Role => r !== undefined).map((r) => ORDER.indexOf(r));
        const best = ranks.length === 0 ? undefined : ORDER[Math.max(...ranks)];
        expect(roleOn(roles, 'bentham')?.role).toBe(best);
        expect(roleOn(roles, 'ledger')?.role).toBe(g);
      }),
    );
  });
});

describe('configGroups', () => {
  it('lists every group named under any role, once each', () => {
    const roles = rolesFrom(`
  admin: { groups: [S0ADMINS] }
  operator: { users: [U0ALICE], groups: [S0SRE, S0ONCALL] }
  responder: { groups: [S0ONCALL] }
  viewer: { everyone: true }
`);
    expect(configGroups(roles).sort()).toEqual(['S0ADMINS', 'S0ONCALL', 'S0SRE']);
  });

  it('is empty when no role names a group', () => {
    expect(configGroups(rolesFrom('  admin: { users: [U0ADMIN] }'))).toEqual([]);
    expect(configGroups(rolesFrom('  {}'))).toEqual([]);
  });
});

describe('configRole', () => {
  const roles = rolesFrom(`
  admin: { users: [U0ADMIN] }
  operator: { users: [U0ALICE, U0BOB, U0ADMIN], groups: [S0SRE] }
  responder: { users: [U0CAROL], groups: [S0ONCALL, S0SRE] }
  viewer: { everyone: true }
`);

  it.each([
    ['U0ADMIN', 'admin', 'ops.yml roles.admin.users'],
    ['U0ALICE', 'operator', 'ops.yml roles.operator.users'],
    ['U0BOB', 'operator', 'ops.yml roles.operator.users'],
    ['U0CAROL', 'responder', 'ops.yml roles.responder.users'],
    ['U0STRANGER', 'viewer', 'ops.yml roles.viewer.everyone'],
  ])('gives %s the highest role that names them (%s, from %s)', (user, role, source) => {
    expect(configRole(user, roles, inNoGroup)).toEqual({ role, source });
  });

  it('names the user group a role comes from, as a Slack mention', () => {
    expect(configRole('U0DAVE', roles, inGroups('S0SRE'))).toEqual({
      role: 'operator',
      source: 'ops.yml roles.operator.groups (<!subteam^S0SRE>)',
    });
    expect(configRole('U0DAVE', roles, inGroups('S0ONCALL'))).toEqual({
      role: 'responder',
      source: 'ops.yml roles.responder.groups (<!subteam^S0ONCALL>)',
    });
  });

  it('lets a higher role from a group beat a lower role from a user listing', () => {
    // U0CAROL is listed by name as responder, and is in S0SRE, which is operator.
    expect(configRole('U0CAROL', roles, inGroups('S0SRE'))).toEqual({
      role: 'operator',
      source: 'ops.yml roles.operator.groups (<!subteam^S0SRE>)',
    });
  });

  it('lets a higher everyone grant beat a lower named one', () => {
    const open = rolesFrom('  responder: { everyone: true }\n  viewer: { users: [U0ALICE] }');
    expect(configRole('U0ALICE', open, inNoGroup)).toEqual({
      role: 'responder',
      source: 'ops.yml roles.responder.everyone',
    });
  });

  it('within one role, names the user listing before the group and the group before everyone', () => {
    const all = rolesFrom('  operator: { users: [U0ALICE], groups: [S0SRE], everyone: true }');
    expect(configRole('U0ALICE', all, inGroups('S0SRE'))?.source).toBe('ops.yml roles.operator.users');
    expect(configRole('U0BOB', all, inGroups('S0SRE'))?.source).toBe(
      'ops.yml roles.operator.groups (<!subteam^S0SRE>)',
    );
    expect(configRole('U0BOB', all, inNoGroup)?.source).toBe('ops.yml roles.operator.everyone');
  });

  it('names the first listed group the user is in', () => {
    const two = rolesFrom('  operator: { groups: [S0ONE, S0TWO] }');
    expect(configRole('U0X', two, inGroups('S0TWO', 'S0ONE'))?.source).toBe(
      'ops.yml roles.operator.groups (<!subteam^S0ONE>)',
    );
    expect(configRole('U0X', two, inGroups('S0TWO'))?.source).toBe(
      'ops.yml roles.operator.groups (<!subteam^S0TWO>)',
    );
  });

  it('asks only about groups ops.yml names', () => {
    const asked: string[] = [];
    configRole('U0X', rolesFrom('  admin: { groups: [S0A] }\n  viewer: { groups: [S0V] }'), (id) => {
      asked.push(id);
      return false;
    });
    expect(new Set(asked)).toEqual(new Set(['S0A', 'S0V']));
  });

  it('denies by default: unknown users, and everyone when there are no roles', () => {
    const strict = rolesFrom('  operator: { users: [U0ALICE], groups: [S0SRE] }');
    expect(configRole('U0STRANGER', strict, inNoGroup)).toBeUndefined();
    expect(configRole('U0STRANGER', strict, inGroups('S0OTHER'))).toBeUndefined();
    expect(configRole('U0ALICE', rolesFrom('  {}'), inGroups('S0SRE'))).toBeUndefined();
  });

  it('matches user IDs exactly and case-sensitively', () => {
    const strict = rolesFrom('  admin: { users: [U0ADMIN] }');
    expect(configRole('U0ADMIN', strict, inNoGroup)?.role).toBe('admin');
    for (const near of ['u0admin', 'U0Admin', 'U0ADMIN2', 'U0ADMI', ' U0ADMIN', 'U0ADMIN ']) {
      expect(configRole(near, strict, inNoGroup)).toBeUndefined();
    }
  });

  it('does not mistake a group ID for a user ID', () => {
    expect(configRole('S0SRE', rolesFrom('  admin: { groups: [S0SRE] }'), inNoGroup)).toBeUndefined();
  });

  it('is the highest role whose users, groups or everyone match (property)', () => {
    const USERS = ['U0A', 'U0B', 'U0C'];
    const GROUPS = ['S0X', 'S0Y'];
    const grant = fc.record({
      users: fc.subarray(USERS),
      groups: fc.subarray(GROUPS),
      everyone: fc.boolean(),
    });
    const scenario = fc.record({
      grants: fc.record(
        {
          viewer: grant,
          responder: grant,
          operator: grant,
          admin: grant,
        },
        { requiredKeys: [] },
      ),
      user: fc.constantFrom(...USERS, 'U0NOBODY'),
      memberOf: fc.subarray(GROUPS),
    });
    fc.assert(
      fc.property(scenario, ({ grants, user, memberOf }) => {
        const parsed = OpsConfigSchema.parse({ workspace: { ops_channel: 'C0OPS' }, roles: grants }).roles;
        let expected: HeldRole | undefined;
        for (const role of ORDER) {
          const g = grants[role];
          if (!g) continue;
          const group = g.groups.find((id) => memberOf.includes(id));
          if (g.users.includes(user)) expected = { role, source: `ops.yml roles.${role}.users` };
          else if (group) expected = { role, source: `ops.yml roles.${role}.groups (<!subteam^${group}>)` };
          else if (g.everyone) expected = { role, source: `ops.yml roles.${role}.everyone` };
        }
        expect(configRole(user, parsed, (id) => memberOf.includes(id))).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});
