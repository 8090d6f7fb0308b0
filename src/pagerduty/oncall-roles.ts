import { z } from 'zod';
import { ROLES, type Role, type RoleSource, type ScopedRole } from '../auth/roles.js';
import { untilText } from '../auth/until-text.js';
import { Duration } from '../config/duration.js';
import type { OpsConfig } from '../config/ops-config.js';
import { own } from '../config/own.js';
import type { ConfigProblem } from '../config/problems.js';
import type { Logger } from '../log.js';
import { ExpiringCache } from './expiring-cache.js';
import type { OnCallShift } from './rest.js';

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

/** Who is on call, as on-call roles need it; PagerDuty behind it (pagerDutyDirectory). */
export interface OnCallDirectory {
  /** The shifts on call now on the escalation policy of a PagerDuty service. */
  shifts(pagerDutyServiceId: string): Promise<OnCallShift[]>;
  /** A Slack user's PagerDuty user id, found by their Slack email; undefined when there is none. */
  userOf(slackUserId: string): Promise<string | undefined>;
}

/** One service's rule: its PagerDuty services, the level needed and the role held. */
interface Rule {
  service: string;
  pagerDutyServices: string[];
  level: number;
  role: Role;
}

/** The rules ops.yml gives: each service's own entry, else `*`, for services with a mapped PagerDuty service. */
export function onCallRules(config: Pick<OpsConfig, 'pagerduty' | 'services'>): Rule[] {
  const roles = config.pagerduty?.oncall_roles ?? {};
  const mappings = Object.entries(config.pagerduty?.services ?? {});
  return Object.keys(config.services).flatMap((service) => {
    const rule = own(roles, service) ?? own(roles, EVERY_SERVICE);
    const pagerDutyServices = mappings.filter(([, name]) => name === service).map(([id]) => id);
    return rule && pagerDutyServices.length > 0 ? [{ service, pagerDutyServices, ...rule }] : [];
  });
}

/**
 * Roles held while on call in PagerDuty. The on-call list of each PagerDuty service and each person's PagerDuty
 * id are kept for `ttlMs`; a shift counts from its start until its end however fresh the list, so a role ends
 * on the minute the shift does. When PagerDuty or Slack cannot be read, nobody holds an on-call role (fail
 * closed) until they can; the other roles are untouched.
 */
export class OnCallRoles implements RoleSource {
  private readonly rules: Rule[];
  private readonly shifts: ExpiringCache<OnCallShift[]>;
  private readonly users: ExpiringCache<string | undefined>;

  constructor(
    private readonly config: Pick<OpsConfig, 'pagerduty' | 'services' | 'workspace'>,
    private readonly directory: OnCallDirectory,
    private readonly log: Logger,
    ttlMs: number,
    now: () => number = Date.now,
  ) {
    this.rules = onCallRules(config);
    this.shifts = new ExpiringCache(ttlMs, now);
    this.users = new ExpiringCache(ttlMs, now);
  }

  async rolesOf(userId: string, at: Date): Promise<ScopedRole[]> {
    if (this.rules.length === 0) return [];
    const pagerDutyUser = await this.users.get(
      userId,
      () => this.directory.userOf(userId),
      (error) => {
        this.log.warn(
          { err: error, userId },
          'could not find a Slack user in PagerDuty; no on-call role for now',
        );
        return undefined;
      },
    );
    if (pagerDutyUser === undefined) return [];
    const found = await Promise.all(this.rules.map((rule) => this.held(rule, pagerDutyUser, at)));
    return found.filter((role): role is ScopedRole => role !== undefined);
  }

  private async held(rule: Rule, pagerDutyUser: string, at: Date): Promise<ScopedRole | undefined> {
    const lists = await Promise.all(rule.pagerDutyServices.map((id) => this.shiftsOf(id)));
    const [best] = lists
      .flat()
      .filter(
        (shift) =>
          shift.user === pagerDutyUser &&
          shift.level <= rule.level &&
          (shift.start === null || shift.start <= at) &&
          (shift.end === null || shift.end > at),
      )
      .sort((a, b) => a.level - b.level || (b.end?.getTime() ?? Infinity) - (a.end?.getTime() ?? Infinity));
    if (!best) return undefined;
    const until = best.end ? `, until ${untilText(best.end, at, this.config.workspace.timezone)}` : '';
    return {
      service: rule.service,
      held: {
        role: rule.role,
        source: `on call in PagerDuty, level ${best.level}${until}`,
        temporary: `while on call (PagerDuty, level ${best.level}${until})`,
      },
    };
  }

  private shiftsOf(pagerDutyService: string): Promise<OnCallShift[]> {
    return this.shifts.get(
      pagerDutyService,
      () => this.directory.shifts(pagerDutyService),
      (error) => {
        this.log.warn(
          { err: error, pagerDutyService },
          'could not read who is on call in PagerDuty; no on-call role on its service for now',
        );
        return [];
      },
    );
  }
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
