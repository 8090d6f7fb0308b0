import pg from 'pg';
import type { Logger } from '../log.js';
import { isPostgresUnreachable, type Outages } from '../outages.js';

/** How long a caller waits for a client of a pool (all in use) or for a new connection, before failing. */
const CONNECTION_TIMEOUT_MS = 5_000;

/**
 * A pool that fails fast when PostgreSQL is unreachable and never crashes on an idle client's error. Given
 * the process's outages, idle clients lost to an outage report to PostgreSQL's (logged once), the first new
 * connection after it ends it, and the pool's busy episodes (every client in use, a caller waiting longer than
 * `connectionTimeoutMillis`) are watched by `outages.pool`. The pool keeps no dead client: one that failed is
 * dropped on release.
 */
export function createPool(
  connectionString: string,
  log: Logger,
  max = 10,
  outages?: Pick<Outages, 'postgres' | 'pool'>,
  connectionTimeoutMillis = CONNECTION_TIMEOUT_MS,
): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis,
    idleTimeoutMillis: 30_000,
    statement_timeout: 30_000,
  });
  // pg-pool takes its own error listener off a client it hands out, so a connection lost while its holder awaits
  // something else (between a transaction's statements) would be an unhandled 'error' event, which ends the
  // process. The holder meets the loss on its next statement instead; the pool drops the client on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  pool.on('error', (error) => {
    const warn = () => log.warn({ err: error }, 'idle PostgreSQL client failed');
    // One client ended by an administrator is no outage: the server must not answer a probe either.
    if (outages && isPostgresUnreachable(error)) {
      void outages.postgres.confirms(error).then((confirmed) => confirmed || warn());
    } else warn();
  });
  if (outages) {
    pool.on('connect', () => outages.postgres.recovered());
    outages.pool.attach(pool);
  }
  return pool;
}

/**
 * Resolves when PostgreSQL answers a connection of its own now, within `timeoutMs`. The outage probe and
 * /readyz use it rather than the pool: a pool whose clients are all busy is load, not PostgreSQL away.
 */
export async function probePostgres(connectionString: string, timeoutMs = 3_000): Promise<void> {
  const client = new pg.Client({
    connectionString,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}
