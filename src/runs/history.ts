import type { Pool } from 'pg';
import { z } from 'zod';
import { type Authority, servicesToRead } from '../auth/authorizer.js';
import type { OpsConfig } from '../config/ops-config.js';
import { RUN_STATES } from './states.js';

/** The most runs `/ops history` lists: enough to see what happened lately, few enough for one message. */
export const HISTORY_LIMIT = 20;

const HistoryRow = z.object({
  id: z.string(),
  service: z.string(),
  action: z.string(),
  state: z.enum(RUN_STATES),
  requested_by: z.string(),
  created_at: z.date(),
});

/** One run as `/ops history` lists it: what, where, its state now, who asked and when. */
export type HistoryEntry = z.infer<typeof HistoryRow>;

export interface HistoryServiceDeps extends Authority {
  config: Pick<OpsConfig, 'services'>;
  pool: Pool;
}

/** `/ops history [service]`: the newest runs on the services the actor may view (viewer or above). */
export class HistoryService {
  constructor(private readonly deps: HistoryServiceDeps) {}

  /** At most HISTORY_LIMIT runs, newest first; one service's only when `service` is given. */
  async recent(actor: string, service?: string): Promise<HistoryEntry[]> {
    const configured = Object.keys(this.deps.config.services);
    const names = await servicesToRead(this.deps, actor, 'history', configured, service);
    return names.length === 0 ? [] : this.newest(names);
  }

  private async newest(services: string[]): Promise<HistoryEntry[]> {
    const { rows } = await this.deps.pool.query(
      `SELECT id, service, action, state, requested_by, created_at FROM action_runs
        WHERE service = ANY($1::text[]) ORDER BY created_at DESC, id DESC LIMIT $2`,
      [services, HISTORY_LIMIT],
    );
    return rows.map((row) => HistoryRow.parse(row));
  }
}
