import type { Pool } from 'pg';
import { z } from 'zod';
import { DEGRADED_STATE_KEY, describeDegradedState } from '../actions/degraded-mode.js';
import type { AuditEntry } from '../audit/audit-log.js';
import { type ActorRoles, roleOn, roleRank } from '../auth/roles.js';
import type { OpsConfig } from '../config/ops-config.js';
import { own } from '../config/own.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import type { TargetDatabases } from '../targets/databases.js';
import type { HealthLevel, HealthResult } from './http-check.js';
import { runCheck } from './run-check.js';

/** A fact recorded about a service (degraded mode, ...), as `/ops status` shows it. */
export interface StateLine {
  text: string;
  since: Date;
  until: Date | null;
}

/** One service's health now: the worst level, each check, and what opsbot has switched on it. */
export interface ServiceStatus {
  service: string;
  level: HealthLevel;
  checks: HealthResult[];
  state: StateLine[];
}

export interface StatusDeps {
  config: Pick<OpsConfig, 'services'>;
  pool: Pool;
  /** The services' databases, for SQL checks. */
  targets: Pick<TargetDatabases, 'pool'>;
  rolesOf(userId: string): Promise<ActorRoles>;
  auditDenial(entry: Omit<AuditEntry, 'event'>): Promise<void>;
}

/** How each kind's recorded state reads in a status line. */
const STATE_DESCRIPTIONS: Record<string, (value: unknown) => string | undefined> = {
  [DEGRADED_STATE_KEY]: describeDegradedState,
};

const StateRow = z.object({
  key: z.string(),
  value: z.unknown(),
  updated_at: z.date(),
  expires_at: z.date().nullable(),
});
const LEVELS: HealthLevel[] = ['ok', 'warning', 'critical'];

/** `/ops status [service]`: runs every health check of the services the actor may view, concurrently. */
export class StatusService {
  constructor(private readonly deps: StatusDeps) {}

  async status(actor: string, service?: string): Promise<ServiceStatus[]> {
    const roles = await this.deps.rolesOf(actor);
    const canView = (name: string) => {
      const held = roleOn(roles, name);
      return held !== undefined && roleRank(held.role) >= roleRank('viewer');
    };
    if (service !== undefined) {
      if (!own(this.deps.config.services, service))
        throw new NotFoundError(`There is no service called ${service}.`);
      if (!canView(service)) {
        const reason = `Seeing the status of ${service} needs viewer; <@${actor}> has no opsbot role there.`;
        await this.deps.auditDenial({ actor, service, action: 'status', detail: { reason } });
        throw new ForbiddenError(reason);
      }
    }
    const names = service !== undefined ? [service] : Object.keys(this.deps.config.services).filter(canView);
    return Promise.all(names.map((name) => this.serviceStatus(name)));
  }

  private async serviceStatus(service: string): Promise<ServiceStatus> {
    const checks = own(this.deps.config.services, service)?.health ?? [];
    const [results, state] = await Promise.all([
      Promise.all(checks.map((check) => runCheck(check, (name) => this.deps.targets.pool(service, name)))),
      this.state(service),
    ]);
    const level = LEVELS[Math.max(0, ...results.map((r) => LEVELS.indexOf(r.level)))] ?? 'ok';
    return { service, level, checks: results, state };
  }

  private async state(service: string): Promise<StateLine[]> {
    const { rows } = await this.deps.pool.query(
      'SELECT key, value, updated_at, expires_at FROM service_state WHERE service = $1 ORDER BY key',
      [service],
    );
    return rows.flatMap((row) => {
      const entry = StateRow.parse(row);
      const text = STATE_DESCRIPTIONS[entry.key]?.(entry.value);
      return text ? [{ text, since: entry.updated_at, until: entry.expires_at }] : [];
    });
  }
}
