import pg from 'pg';
import type { Logger } from '../log.js';

/** A pool that fails fast when PostgreSQL is unreachable and never crashes on an idle client's error. */
export function createPool(connectionString: string, log: Logger, max = 10): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 30_000,
  });
  pool.on('error', (error) => log.warn({ err: error }, 'idle PostgreSQL client failed'));
  return pool;
}
