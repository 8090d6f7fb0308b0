import { describe, expect, it } from 'vitest';
import type { ROLES } from '../../../src/actions/types.js';
import { roleOf, roleRank } from '../../../src/auth/roles.js';
import { parseOpsConfig } from '../../../src/config/load.js';

const rolesOf = (yaml: string) =>
  parseOpsConfig(`workspace: { ops_channel: C0OPS }\nroles:\n${yaml}`, {}).roles;

describe('roleRank', () => {
  it('orders viewer < responder < operator < admin', () => {
    const ranks = ['viewer', 'responder', 'operator', 'admin'].map((role) =>
      roleRank(role as (typeof ROLES)[number]),
    );
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(new Set(ranks).size).toBe(4);
  });
});

describe('roleOf', () => {
  const roles = rolesOf(`
  admin: { users: [U0ADMIN] }
  operator: { users: [U0ALICE, U0BOB, U0ADMIN] }
  responder: { users: [U0CAROL], groups: [S0SRE] }
  viewer: { everyone: true }
`);

  it.each([
    ['U0ADMIN', 'admin', 'roles.admin.users'],
    ['U0ALICE', 'operator', 'roles.operator.users'],
    ['U0BOB', 'operator', 'roles.operator.users'],
    ['U0CAROL', 'responder', 'roles.responder.users'],
    ['U0STRANGER', 'viewer', 'roles.viewer.everyone'],
  ])('gives %s the highest role that matches (%s)', (user, role, source) => {
    expect(roleOf(user, roles)).toEqual({ role, source });
  });

  it('denies users no grant names when nobody is granted by everyone', () => {
    const strict = rolesOf('  operator: { users: [U0ALICE] }');
    expect(roleOf('U0STRANGER', strict)).toBeUndefined();
    expect(roleOf('U0ALICE', strict)).toEqual({ role: 'operator', source: 'roles.operator.users' });
  });

  it('denies everybody when there are no roles', () => {
    expect(roleOf('U0ALICE', rolesOf('  {}'))).toBeUndefined();
  });

  it('prefers a higher everyone grant over a lower named one', () => {
    const open = rolesOf('  responder: { everyone: true }\n  viewer: { users: [U0ALICE] }');
    expect(roleOf('U0ALICE', open)).toEqual({ role: 'responder', source: 'roles.responder.everyone' });
  });

  it('gives nothing for a user-group grant yet', () => {
    expect(roleOf('S0SRE', rolesOf('  admin: { groups: [S0SRE] }'))).toBeUndefined();
  });

  it('matches user IDs exactly', () => {
    const strict = rolesOf('  admin: { users: [U0ADMIN] }');
    expect(roleOf('u0admin', strict)).toBeUndefined();
    expect(roleOf('U0ADMIN2', strict)).toBeUndefined();
  });
});
