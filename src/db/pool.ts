import pg from 'pg';
import type { Logger } from '../log.js';
import { isPostgresUnreachable, type Outage } from '../outages.js';

/**
 * A pool that fails fast when PostgreSQL is unreachable and never crashes on an idle client's error. Given
 * the process's PostgreSQL outage, idle clients lost to an outage report to it (logged once) and the first
 * new connection after it ends it. The pool keeps no dead client: one that failed is dropped on release.
 */
export function createPool(connectionString: string, log: Logger, max = 10, outage?: Outage): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 30_000,
  });
  pool.on('error', (error) => {
    const warn = () => log.warn({ err: error }, 'idle PostgreSQL client failed');
    // One client ended by an administrator is no outage: the server must not answer a probe either.
    if (outage && isPostgresUnreachable(error)) {
      void outage.confirms(error).then((confirmed) => confirmed || warn());
    } else warn();
  });
  if (outage) pool.on('connect', () => outage.recovered());
  return pool;
}
