import { describe, expect, it } from 'vitest';
import { type AnyInput, decide } from '../../../src/auth/policy.js';
import type { ActorRoles } from '../../../src/auth/roles.js';

const VIEWER: ActorRoles = {
  global: { role: 'viewer', source: 'ops.yml roles.viewer.everyone' },
  services: {},
};
const NOBODY: ActorRoles = { services: {} };
const asked = { actor: 'U0EVE', roles: VIEWER };

describe('one policy for every kind of request: the refusals users already know', () => {
  it.each<[string, AnyInput, string]>([
    [
      'a lookup, in a channel not allowed',
      {
        ...asked,
        kind: 'lookup',
        action: 'show study',
        requiredRole: 'viewer',
        service: 'bentham',
        channel: 'C0X',
        allowedChannels: ['C0OPS'],
      },
      "Lookups can't be run in this channel; use <#C0OPS>.",
    ],
    [
      'a lookup needing more',
      {
        ...asked,
        kind: 'lookup',
        action: 'show attempts',
        requiredRole: 'operator',
        service: 'bentham',
        channel: 'C0OPS',
        allowedChannels: [],
      },
      '`show attempts` on bentham needs operator; <@U0EVE> is viewer (ops.yml roles.viewer.everyone).',
    ],
    [
      'a read of a service, by someone with no role',
      { ...asked, roles: NOBODY, kind: 'service', action: 'status', requiredRole: 'viewer', service: 'web' },
      '`status` on web needs viewer; <@U0EVE> has no opsbot role there.',
    ],
    [
      'a PagerDuty change',
      {
        ...asked,
        kind: 'service',
        action: 'pagerduty resolve',
        requiredRole: 'responder',
        service: 'bentham',
      },
      '`pagerduty resolve` on bentham needs responder; <@U0EVE> is viewer (ops.yml roles.viewer.everyone).',
    ],
    [
      'an incident command',
      {
        ...asked,
        kind: 'incident',
        action: 'incident declare',
        requiredRole: 'responder',
        services: ['bentham'],
      },
      '`incident declare` needs responder; <@U0EVE> is viewer (ops.yml roles.viewer.everyone).',
    ],
    [
      'digest now',
      {
        ...asked,
        roles: NOBODY,
        kind: 'digest',
        action: 'digest',
        requiredRole: 'responder',
        services: ['bentham'],
      },
      '`digest now` needs responder or above; <@U0EVE> has no opsbot role.',
    ],
    [
      'the audit log',
      { ...asked, kind: 'audit', action: 'audit', requiredRole: 'responder', services: ['bentham'] },
      'Reading the audit log needs responder or above.',
    ],
    [
      'a role grant on one service',
      { ...asked, kind: 'roles', action: 'role.grant', requiredRole: 'admin', service: 'bentham' },
      'Only an admin on bentham can grant or revoke roles there.',
    ],
    [
      'a role grant everywhere',
      { ...asked, kind: 'roles', action: 'role.revoke', requiredRole: 'admin' },
      'Only an admin on every service can grant or revoke roles there.',
    ],
  ])('%s', (_name, input, reason) => {
    expect(decide(input)).toEqual({ allow: false, reason });
  });

  it('counts a role on any service in ops.yml for what spans services, and none on a service no longer there', () => {
    const roles: ActorRoles = {
      services: {
        ledger: { role: 'responder', source: 'granted' },
        retired: { role: 'admin', source: 'granted' },
      },
    };
    const incident = { actor: 'U0EVE', roles, kind: 'incident', action: 'incident sev' } as const;
    expect(decide({ ...incident, requiredRole: 'responder', services: ['bentham', 'ledger'] })).toEqual({
      allow: true,
    });
    expect(decide({ ...incident, requiredRole: 'admin', services: ['bentham', 'ledger'] })).toEqual({
      allow: false,
      reason: '`incident sev` needs admin; <@U0EVE> is responder (granted).',
    });
    expect(decide({ ...incident, requiredRole: 'viewer', services: ['bentham'] }).allow).toBe(false);
  });

  it('lets only a role held everywhere change roles everywhere, and the higher of both on one service', () => {
    const roles: ActorRoles = {
      global: { role: 'operator', source: 'ops.yml' },
      services: { bentham: { role: 'admin', source: 'granted' } },
    };
    const grant = {
      actor: 'U0EVE',
      roles,
      kind: 'roles',
      action: 'role.grant',
      requiredRole: 'admin',
    } as const;
    expect(decide({ ...grant, service: 'bentham' })).toEqual({ allow: true });
    expect(decide({ ...grant, service: 'ledger' }).allow).toBe(false);
    expect(decide(grant).allow).toBe(false);
  });
});
