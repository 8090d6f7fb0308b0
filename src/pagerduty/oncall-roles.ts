import type { Role, RoleSource, ScopedRole } from '../auth/roles.js';
import { untilText } from '../auth/until-text.js';
import type { OpsConfig } from '../config/ops-config.js';
import { own } from '../config/own.js';
import type { Logger } from '../log.js';
import { ExpiringCache } from './expiring-cache.js';
import { EVERY_SERVICE } from './oncall-roles-config.js';
import type { OnCallShift } from './rest-oncall.js';

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
