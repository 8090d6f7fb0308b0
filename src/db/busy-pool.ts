import type pg from 'pg';
import type { Logger } from '../log.js';

/** pg-pool's error for a caller that waited connectionTimeoutMillis for a client of a pool whose clients are all out. */
const WAITED_TOO_LONG = /timeout exceeded when trying to connect/;

/** Whether `error` is pg-pool giving up waiting for one of its clients (not a connection that failed). */
export function isPoolWaitTimeout(error: unknown): boolean {
  return error instanceof Error && WAITED_TOO_LONG.test(error.message);
}

/**
 * opsbot's own PostgreSQL pool with every client in use for longer than a caller waits for one: PostgreSQL
 * answers, opsbot is overloaded. pg-pool reports it with the same words as a server that hangs, so it used to
 * be taken for an outage; it is not one, and people are told so. Logged once per episode with the pool's size
 * (a warning: the pool or the load wants looking at), its end when a released client finds nobody waiting.
 */
export class BusyPool {
  /** For logs, like an Outage's name. */
  readonly name = "opsbot's PostgreSQL pool";
  /** One sentence for someone whose request waited too long for a connection. */
  readonly sentence =
    'opsbot is busy right now (all its database connections are in use), so nothing was done; try again in a minute.';
  private pool: pg.Pool | undefined;
  private since: number | undefined;
  private timeouts = 0;

  constructor(private readonly log: Logger) {}

  /** Watches opsbot's pool (createPool): the episode ends on a release that leaves nobody waiting. */
  attach(pool: pg.Pool): void {
    this.pool = pool;
    pool.on('release', () => {
      if (pool.waitingCount === 0) this.freed();
    });
  }

  /** Whether opsbot's pool has every client it may open, so a wait for one can time out. */
  full(): boolean {
    return this.pool !== undefined && this.pool.totalCount >= (this.pool.options.max ?? 10);
  }

  /** A caller gave up waiting for a client: the first of an episode is logged, the rest counted. */
  waitedTooLong(): void {
    this.timeouts += 1;
    if (this.since !== undefined || !this.pool) return;
    this.since = Date.now();
    this.log.warn(
      { poolSize: this.pool.options.max, inUse: this.pool.totalCount - this.pool.idleCount },
      `${this.name} is busy: every connection is in use and a request waited too long for one; PostgreSQL ` +
        'answers, so this is load, not an outage: such requests are told to try again',
    );
  }

  /** A client came free with nobody waiting: logs the end of the episode, if there was one. */
  freed(): void {
    if (this.since === undefined) return;
    this.log.info(
      { busyMs: Date.now() - this.since, timeouts: this.timeouts },
      `${this.name} has free connections again`,
    );
    this.since = undefined;
    this.timeouts = 0;
  }
}
