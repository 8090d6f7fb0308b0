import { describe, expect, it } from 'vitest';
import { AccessRequests, type AccessRequestsDeps } from '../../../src/access/service.js';
import type { Denial } from '../../../src/auth/authorizer.js';
import type { ActorRoles } from '../../../src/auth/roles.js';
import { parseOpsConfig } from '../../../src/config/load.js';
import { ForbiddenError, NotFoundError, UserError } from '../../../src/errors.js';
import { createLogger } from '../../../src/log.js';

/** The service over a store that must not be reached: each case here is refused before it is. */
function service(access: string, roles: ActorRoles) {
  const denials: Denial[] = [];
  const unreachable = async (): Promise<never> => {
    throw new Error('the store was reached');
  };
  const deps: AccessRequestsDeps = {
    config: parseOpsConfig(
      `workspace: { ops_channel: C0OPS }\n${access}\nservices: { bentham: { environment: staging } }\n`,
      {},
    ),
    store: {
      request: unreachable,
      breakGlass: unreachable,
      get: unreachable,
      approve: unreachable,
      deny: unreachable,
      revoke: unreachable,
      open: unreachable,
    },
    slack: { card: unreachable, tell: unreachable },
    rolesOf: async () => roles,
    inGroup: async () => false,
    auditDenial: async (entry) => {
      denials.push(entry);
    },
    log: createLogger('silent'),
  };
  return { requests: new AccessRequests(deps), denials };
}

const viewer: ActorRoles = {
  global: { role: 'viewer', source: 'ops.yml roles.viewer.everyone' },
  services: {},
};
const ask = {
  role: 'operator' as const,
  service: 'bentham',
  durationMs: 60_000,
  reason: 'fix it',
  breakGlass: false,
};

describe('asking for access', () => {
  it('refuses, and audits, someone with no opsbot role', async () => {
    const { requests, denials } = service('access: { max: { operator: 1h } }', { services: {} });
    await expect(requests.elevate('U0NOBODY', 'C0OPS', ask)).rejects.toThrow(
      new ForbiddenError('You have no opsbot role, so you cannot ask for one; ask an admin.'),
    );
    await expect(requests.list('U0NOBODY')).rejects.toThrow(ForbiddenError);
    expect(denials.map((d) => [d.actor, d.action, d.detail?.checkpoint])).toEqual([
      ['U0NOBODY', 'elevate', 'request'],
      ['U0NOBODY', 'access', 'request'],
    ]);
  });

  it('says what is not set up, and what no such service is', async () => {
    const bare = service('', viewer).requests;
    await expect(bare.elevate('U0CAROL', 'C0OPS', ask)).rejects.toThrow(
      new UserError('Access requests are not set up here (access.max in ops.yml).'),
    );
    await expect(bare.elevate('U0CAROL', 'C0OPS', { ...ask, breakGlass: true })).rejects.toThrow(
      new UserError('Break-glass is not set up here (access.break_glass in ops.yml).'),
    );
    await expect(bare.elevate('U0CAROL', 'C0OPS', { ...ask, service: 'ledger' })).rejects.toThrow(
      new NotFoundError('There is no service called ledger.'),
    );
    await expect(bare.approve('U0ADMIN', 'not-an-id')).rejects.toThrow(
      new NotFoundError('There is no access grant or request not-an-id; see `/ops access`.'),
    );
  });
});
