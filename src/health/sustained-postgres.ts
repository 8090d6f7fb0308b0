import type { Pool } from 'pg';
import { z } from 'zod';
import { withTransaction } from '../db/transaction.js';
import type { HealthLevel } from './levels.js';
import {
  type Held,
  heldLevel,
  nextSustained,
  type SustainedLevels,
  type SustainedState,
} from './sustained.js';

/** Rows kept after their check last ran this long ago: a check renamed or removed is forgotten. */
const FORGET_AFTER = '7 days';

const StateRow = z.object({
  warning_since: z.number().nullable(),
  critical_since: z.number().nullable(),
  observed_at: z.number(),
});
const ClockRow = z.object({ now_ms: z.number() });

/** A timestamptz column as ms since the epoch, as node-pg reads a float8. */
const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8 AS ${column}`;

/**
 * The runs of every sustained check, shared by all opsbot processes in opsbot's own PostgreSQL: the probe on any
 * worker and `/ops status` on any web replica hold a level back over the same history, and a restart forgets
 * nothing. A check's row is read and written back under a row lock, and each run is stamped by the database's
 * one clock (after the lock), so replicas with skewed clocks agree on how long a level has held.
 */
export class PostgresSustainedLevels implements SustainedLevels {
  /** `now` (ms) replaces the database's clock, for tests that run checks at chosen times. */
  constructor(
    private readonly pool: Pool,
    private readonly now?: () => number,
  ) {}

  async observe(service: string, check: string, level: HealthLevel, sustainedMs: number): Promise<Held> {
    const { held, added } = await withTransaction(this.pool, async (client) => {
      const { rows } = await client.query(
        `SELECT ${ms('warning_since')}, ${ms('critical_since')}, ${ms('observed_at')}
           FROM sustained_levels WHERE service = $1 AND check_name = $2 FOR UPDATE`,
        [service, check],
      );
      const previous: SustainedState | undefined = rows[0] ? toState(StateRow.parse(rows[0])) : undefined;
      const at = this.now?.() ?? (await this.clock(client));
      const next = nextSustained(previous, level, at, sustainedMs);
      // Two first runs at once both insert: the later one's times win, a few milliseconds apart.
      await client.query(
        `INSERT INTO sustained_levels (service, check_name, warning_since, critical_since, observed_at)
         VALUES ($1, $2, to_timestamp($3 / 1000.0), to_timestamp($4 / 1000.0), to_timestamp($5 / 1000.0))
         ON CONFLICT (service, check_name) DO UPDATE SET warning_since = excluded.warning_since,
           critical_since = excluded.critical_since, observed_at = excluded.observed_at`,
        [service, check, next.warningSince, next.criticalSince, next.observedAt],
      );
      return { held: heldLevel(next, at, sustainedMs), added: previous === undefined };
    });
    if (added) {
      await this.pool.query(
        `DELETE FROM sustained_levels WHERE observed_at < now() - interval '${FORGET_AFTER}'`,
      );
    }
    return held;
  }

  private async clock(client: Pick<Pool, 'query'>): Promise<number> {
    const { rows } = await client.query(
      'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms',
    );
    return ClockRow.parse(rows[0]).now_ms;
  }
}

function toState(row: z.infer<typeof StateRow>): SustainedState {
  return { warningSince: row.warning_since, criticalSince: row.critical_since, observedAt: row.observed_at };
}
