import { describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../../src/actions/types.js';
import { decide, type PolicyRequest } from '../../../src/auth/policy.js';
import { parseOpsConfig } from '../../../src/config/load.js';

const configOf = (yaml: string) => parseOpsConfig(`workspace: { ops_channel: C0OPS }\n${yaml}`, {});

const config = configOf(`
roles:
  admin: { users: [U0ADMIN] }
  operator: { users: [U0OPERATOR] }
  responder: { users: [U0RESPONDER] }
  viewer: { users: [U0VIEWER] }
channels:
  allow: [C0OPS, C0INCIDENT]
`);

const USERS: Record<Role, string> = {
  viewer: 'U0VIEWER',
  responder: 'U0RESPONDER',
  operator: 'U0OPERATOR',
  admin: 'U0ADMIN',
};

const request = (overrides: Partial<PolicyRequest>): PolicyRequest => ({
  actor: 'U0OPERATOR',
  channel: 'C0OPS',
  service: 'bentham',
  action: 'retry',
  role: 'operator',
  ...overrides,
});

const cases = ROLES.flatMap((held) => ROLES.map((needed) => [held, needed] as const));

describe('decide', () => {
  it.each(cases)('a %s asking for an action that needs %s', (held, needed) => {
    const decision = decide(request({ actor: USERS[held], role: needed }), config);
    const allowed = ROLES.indexOf(held) >= ROLES.indexOf(needed);
    if (allowed) {
      expect(decision).toEqual({ allow: true });
    } else {
      expect(decision).toEqual({
        allow: false,
        reason: `\`retry\` on bentham needs ${needed}; you are ${held}.`,
      });
    }
  });

  it('denies a user with no role by default', () => {
    expect(decide(request({ actor: 'U0STRANGER', role: 'viewer' }), config)).toEqual({
      allow: false,
      reason: 'You have no opsbot role; `retry` needs viewer.',
    });
  });

  it('lets everyone through up to the role granted to everyone', () => {
    const open = configOf('roles:\n  responder: { everyone: true }');
    expect(decide(request({ actor: 'U0STRANGER', role: 'viewer' }), open)).toEqual({ allow: true });
    expect(decide(request({ actor: 'U0STRANGER', role: 'responder' }), open)).toEqual({ allow: true });
    expect(decide(request({ actor: 'U0STRANGER', role: 'operator' }), open)).toMatchObject({ allow: false });
  });

  it('refuses channels outside the allow-list, naming the allowed ones, whatever the role', () => {
    expect(decide(request({ actor: 'U0ADMIN', channel: 'C0RANDOM', role: 'viewer' }), config)).toEqual({
      allow: false,
      reason: "Actions can't be requested in this channel; use <#C0OPS> or <#C0INCIDENT>.",
    });
  });

  it('checks the channel before the role', () => {
    const decision = decide(request({ actor: 'U0STRANGER', channel: 'C0RANDOM' }), config);
    expect(decision.allow).toBe(false);
    expect(decision.allow ? '' : decision.reason).toMatch(/this channel/);
  });

  it('allows every listed channel', () => {
    expect(decide(request({ channel: 'C0INCIDENT' }), config)).toEqual({ allow: true });
  });

  it('allows any channel when the allow-list is empty', () => {
    const anywhere = configOf('roles:\n  operator: { users: [U0OPERATOR] }');
    expect(anywhere.channels.allow).toEqual([]);
    expect(decide(request({ channel: 'C0RANDOM' }), anywhere)).toEqual({ allow: true });
  });
});
