import { z } from 'zod';
import { ROLES } from '../auth/roles.js';
import { Duration } from '../config/duration.js';
import type { ConfigProblem } from '../config/problems.js';

/*
 * pagerduty.oncall_roles in ops.yml (DESIGN §11): whoever is on call in PagerDuty for a service's mapped
 * PagerDuty service(s), at escalation level `level` or better (1 is first), holds `role` on that service while
 * on call. `*` is every service with a mapped PagerDuty service that has no entry of its own.
 *
 *   pagerduty:
 *     services: { PSVC0A1: bentham }
 *     oncall_roles: { bentham: { level: 1, role: operator }, "*": { level: 2, role: responder } }
 *     oncall_cache: 60s      # how long the on-call list is kept before PagerDuty is asked again
 */

/** Every service: the key of the workspace-wide default. */
export const EVERY_SERVICE = '*';

const OnCallRole = z.strictObject({
  level: z
    .number({ error: 'must be an escalation level such as 1' })
    .int('must be a whole escalation level such as 1')
    .min(1, 'must be 1 (first level) or more')
    .max(20, 'must be at most 20'),
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
});

export const OnCallRolesSchema = z.record(
  z.string().regex(/^(\*|[a-z][a-z0-9-]{0,39})$/, 'must be a service name, or * for every service'),
  OnCallRole,
);

/** How long the on-call list is kept: short, since a role follows the rotation. */
export const OnCallCacheSchema = Duration.refine(
  (ms) => ms >= 1_000 && ms <= 600_000,
  'must be between 1s and 10m',
);

/** pagerduty.oncall_cache when ops.yml does not say. */
export const ONCALL_CACHE_MS = 60_000;

/** oncall_roles must name services that have a PagerDuty service mapped to them: nobody is on call otherwise. */
export function onCallRoleProblems(raw: unknown): ConfigProblem[] {
  const top = record(raw);
  const pagerDuty = record(top.pagerduty);
  const services = Object.keys(record(top.services));
  const mapped = new Set(Object.values(record(pagerDuty.services)).map(String));
  return Object.keys(record(pagerDuty.oncall_roles)).flatMap((key): ConfigProblem[] => {
    const path = ['pagerduty', 'oncall_roles', key];
    if (key === EVERY_SERVICE) {
      return mapped.size > 0
        ? []
        : [{ path, message: 'applies to no service: pagerduty.services maps no PagerDuty service' }];
    }
    if (!services.includes(key)) {
      return [
        {
          path,
          message: `names ${key}, which is not a service here (services: ${services.join(', ') || 'none'})`,
        },
      ];
    }
    if (!mapped.has(key)) {
      return [
        {
          path,
          message: `no PagerDuty service is mapped to ${key} in pagerduty.services, so nobody is on call for it`,
        },
      ];
    }
    return [];
  });
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
