import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { z } from 'zod';
import { withTransaction } from '../db/transaction.js';
import {
  type CounterWindowOptions,
  type CounterWindowStore,
  nextWindow,
  type Reading,
  WINDOW_DEFAULTS,
  type Window,
} from './counter-windows.js';

/** Readings as stored: counter values as strings, so NaN and ±Inf survive JSON. */
const StoredReadings = z.array(
  z.object({ at: z.number(), counters: z.array(z.tuple([z.string(), z.string()])) }),
);

const LockedRow = z.object({ readings: z.unknown(), now_ms: z.number() });

/**
 * Recent counter readings of every check, shared by all opsbot processes in opsbot's own PostgreSQL, so that
 * `/ops status` on any web replica and the probe on any worker grade a ratio over the same minute, and a
 * restart forgets nothing.
 *
 * PostgreSQL rather than Redis: one check's readings are read, windowed and written back under a row lock, so
 * the window logic stays in TypeScript (`nextWindow`) instead of a Lua copy of it, concurrent scrapes by
 * several processes cannot drop each other's readings, and every reading is stamped by the database's one
 * clock, so replicas with skewed clocks still agree on what "a minute earlier" is. Health levels live there too.
 */
export class PostgresCounterWindows implements CounterWindowStore {
  private readonly options: Required<CounterWindowOptions>;

  constructor(
    private readonly pool: Pool,
    options: CounterWindowOptions = {},
  ) {
    this.options = { ...WINDOW_DEFAULTS, ...options };
  }

  async since(key: string, counters: ReadonlyMap<string, number>, denominator?: string): Promise<Window> {
    // Hashed: a check's key holds its metrics URL (perhaps with credentials) and label regexes of any length.
    const checkKey = createHash('sha256').update(key).digest('hex');
    const { window, added } = await withTransaction(this.pool, async (client) => {
      // Inserts or locks the check's row; RETURNING runs after the lock, so the reading is stamped after any wait.
      const { rows } = await client.query(
        `INSERT INTO counter_windows (check_key, readings, updated_at) VALUES ($1, '[]', now())
         ON CONFLICT (check_key) DO UPDATE SET updated_at = now()
         RETURNING readings, (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms`,
        [checkKey],
      );
      const row = LockedRow.parse(rows[0]);
      const history = fromStored(row.readings);
      const next = nextWindow(history, { at: row.now_ms, counters }, denominator, this.options);
      await client.query('UPDATE counter_windows SET readings = $2 WHERE check_key = $1', [
        checkKey,
        JSON.stringify(toStored(next.keep)),
      ]);
      return { window: next.window, added: history.length === 0 };
    });
    if (added) await this.forgetLeastRecent();
    return window;
  }

  /** Keeps the `maxChecks` checks scraped most recently; rows another scrape holds are left for a later prune. */
  private async forgetLeastRecent(): Promise<void> {
    await this.pool.query(
      `DELETE FROM counter_windows WHERE check_key IN (
         SELECT check_key FROM counter_windows ORDER BY updated_at DESC OFFSET $1 FOR UPDATE SKIP LOCKED)`,
      [this.options.maxChecks],
    );
  }
}

/** A row's readings; unreadable ones (written by some other version) count as none: a first scrape. */
function fromStored(value: unknown): Reading[] {
  const parsed = StoredReadings.safeParse(value);
  if (!parsed.success) return [];
  return parsed.data.map((reading) => ({
    at: reading.at,
    counters: new Map(reading.counters.map(([name, count]) => [name, Number(count)])),
  }));
}

function toStored(readings: Reading[]): z.infer<typeof StoredReadings> {
  return readings.map((reading) => ({
    at: reading.at,
    counters: [...reading.counters].map(([name, count]) => [name, String(count)]),
  }));
}
