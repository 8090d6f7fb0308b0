import type { Pool } from 'pg';
import { z } from 'zod';
import { describeServiceState } from '../actions/registry.js';
import { type Authority, servicesToRead } from '../auth/authorizer.js';
import type { OpsConfig } from '../config/ops-config.js';
import { own } from '../config/own.js';
import type { TargetDatabases } from '../targets/databases.js';
import { checkService, type ServiceHealth } from './check-service.js';
import type { CounterWindowStore } from './counter-windows.js';
import type { SustainedLevels } from './sustained.js';

/** A fact recorded about a service (degraded mode, ...), as `/ops status` shows it. */
export interface StateLine {
  text: string;
  since: Date;
  until: Date | null;
}

/** One service's health now: the worst level, each check, and what opsbot has switched on it. */
export interface ServiceStatus extends ServiceHealth {
  service: string;
  state: StateLine[];
}

export interface StatusDeps extends Authority {
  config: Pick<OpsConfig, 'services'>;
  pool: Pool;
  /** The services' databases, for SQL checks. */
  targets: Pick<TargetDatabases, 'pool'>;
  /** Earlier scrapes, shared with the probe and every other process. */
  windows: CounterWindowStore;
  /** The runs of sustained checks, shared likewise. */
  levels: SustainedLevels;
}

const StateRow = z.object({
  key: z.string(),
  value: z.unknown(),
  updated_at: z.date(),
  expires_at: z.date().nullable(),
});

/** `/ops status [service]`: runs every health check of the services the actor may view, concurrently. */
export class StatusService {
  constructor(private readonly deps: StatusDeps) {}

  async status(actor: string, service?: string): Promise<ServiceStatus[]> {
    const configured = Object.keys(this.deps.config.services);
    const names = await servicesToRead(this.deps, actor, 'status', configured, service);
    return Promise.all(names.map((name) => this.serviceStatus(name)));
  }

  private async serviceStatus(service: string): Promise<ServiceStatus> {
    const checks = own(this.deps.config.services, service)?.health ?? [];
    const [health, state] = await Promise.all([
      checkService(service, checks, {
        database: (name) => this.deps.targets.pool(service, name),
        windows: this.deps.windows,
        levels: this.deps.levels,
      }),
      this.state(service),
    ]);
    return { service, ...health, state };
  }

  private async state(service: string): Promise<StateLine[]> {
    const { rows } = await this.deps.pool.query(
      'SELECT key, value, updated_at, expires_at FROM service_state WHERE service = $1 ORDER BY key',
      [service],
    );
    return rows.flatMap((row) => {
      const entry = StateRow.parse(row);
      const text = describeServiceState(entry.key, entry.value);
      return text ? [{ text, since: entry.updated_at, until: entry.expires_at }] : [];
    });
  }
}
