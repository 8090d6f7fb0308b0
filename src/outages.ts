import { BusyPool, isPoolWaitTimeout } from './db/busy-pool.js';
import { describeError } from './describe-error.js';
import type { Logger } from './log.js';

/** What a request that met an unavailable dependency is told, and the name it is logged under. */
export interface Unavailable {
  readonly name: string;
  readonly sentence: string;
}

/**
 * One dependency's outage as this process sees it, logged once: its first failure as an error, then its
 * recovery with how long it lasted and how many failures were only counted. Every part of the process that
 * meets the outage reports here instead of logging, so a thousand requests during an outage are one line.
 */
export class Outage implements Unavailable {
  private since: number | undefined;
  private failures = 0;
  /** The probe under way, shared by every failure that asks meanwhile (a burst of them probes once). */
  private probing: Promise<boolean> | undefined;

  constructor(
    readonly name: string,
    /** What people see meanwhile, for the log line. */
    private readonly meanwhile: string,
    /** One sentence for someone whose request met the outage. */
    readonly sentence: string,
    private readonly log: Logger,
    /** Resolves when the dependency answers now. */
    private readonly probe: () => Promise<unknown>,
  ) {}

  /** Whether an outage is under way (a failure since the last recovery). */
  get down(): boolean {
    return this.since !== undefined;
  }

  /** A failure to reach the dependency: the first of an outage is logged, the rest counted. */
  failed(error: unknown): void {
    this.failures += 1;
    if (this.since !== undefined) return;
    this.since = Date.now();
    this.log.error(
      { err: { message: describeError(error) }, dependency: this.name },
      `${this.name} is unreachable: ${this.meanwhile}; opsbot reconnects by itself and logs when it is back`,
    );
  }

  /** The dependency answered again: logs the end of the outage, if there was one. */
  recovered(): void {
    if (this.since === undefined) return;
    this.log.info(
      { dependency: this.name, downMs: Date.now() - this.since, failures: this.failures },
      `${this.name} is reachable again`,
    );
    this.since = undefined;
    this.failures = 0;
  }

  /**
   * Whether `error`, which says a connection failed, is this outage: true (and counted) when the dependency
   * does not answer a probe now either. A connection error from elsewhere (a target database) is not.
   */
  async confirms(error: unknown): Promise<boolean> {
    if (!this.down && !(await this.probeFails())) return false;
    this.failed(error);
    return true;
  }

  /** Whether the dependency fails a probe now; failures arriving while one runs wait for it, not a probe each. */
  private probeFails(): Promise<boolean> {
    if (this.probing) return this.probing;
    const probing = this.probe().then(
      () => false,
      () => true,
    );
    this.probing = probing.finally(() => {
      this.probing = undefined;
    });
    return this.probing;
  }
}

/** The outages of the two dependencies every opsbot process needs, and opsbot's own pool being busy. */
export interface Outages {
  postgres: Outage;
  redis: Outage;
  /** Not an outage: opsbot's pool is busy (createPool attaches it). */
  pool: BusyPool;
}

/**
 * The two outages; each probe resolves when its dependency answers. PostgreSQL's must not use opsbot's pool
 * (a connection of its own): a pool whose clients are all busy would make it fail while PostgreSQL answers.
 */
export function createOutages(
  log: Logger,
  probes: { postgres: () => Promise<unknown>; redis: () => Promise<unknown> },
): Outages {
  return {
    postgres: new Outage(
      'PostgreSQL',
      'Slack requests are told so, PagerDuty webhooks are answered 503 (PagerDuty delivers them again)',
      'opsbot cannot reach its database (PostgreSQL) right now, so nothing was done; try again in a minute.',
      log,
      probes.postgres,
    ),
    redis: new Outage(
      'Redis',
      'requests are answered and runs wait in PostgreSQL; they are queued when Redis is back',
      'opsbot cannot reach its queue (Redis) right now, so this could not be queued; try again in a minute.',
      log,
      probes.redis,
    ),
    pool: new BusyPool(log),
  };
}

/**
 * What a failure that looks like PostgreSQL's is: its outage (counted there) when PostgreSQL does not answer a
 * probe either; opsbot's pool being busy (counted there) when it answered and the failure was a wait for a
 * client of that pool, full now; else nothing of opsbot's (a target database, a client an administrator ended).
 */
export async function postgresFailure(outages: Outages, error: unknown): Promise<Unavailable | undefined> {
  if (!isPostgresUnreachable(error)) return undefined;
  if (await outages.postgres.confirms(error)) return outages.postgres;
  if (!isPoolWaitTimeout(error) || !outages.pool.full()) return undefined;
  outages.pool.waitedTooLong();
  return outages.pool;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);
/** PostgreSQL's connection exceptions (class 08) and shutdowns (57P01-57P03). */
const POSTGRES_CODE = /^(08|57P0[123])/;
const POSTGRES_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|the database system is (starting up|shutting down)/;

/** Whether `error` is a failed network connection (refused, reset, timed out…), to whatever it was. */
export function isNetworkError(error: unknown): boolean {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

/** Whether `error` says a PostgreSQL server could not be reached (as opposed to refusing a statement). */
export function isPostgresUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (isNetworkError(error) || (typeof code === 'string' && POSTGRES_CODE.test(code))) return true;
  return POSTGRES_MESSAGE.test(error.message);
}

/** ioredis's words for a server it cannot reach, and for a Redis Cluster whose slot has no master (failing over). */
const REDIS_MESSAGE =
  /Stream isn't writeable|enableOfflineQueue|Connection is closed|max retries per request|CLUSTERDOWN|Too many Cluster redirections|Failed to refresh slots cache|None of startup nodes is available/i;

/**
 * Whether `error` is ioredis refusing a command because Redis is not connected (it fails fast then), or an
 * error caused by that (a run that could not be queued).
 */
export function isRedisUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (REDIS_MESSAGE.test(error.message) || error.name === 'MaxRetriesPerRequestError') return true;
  return error.cause !== undefined && error.cause !== error && isRedisUnreachable(error.cause);
}

/**
 * Logs a background loop's failure, unless it is an outage of opsbot's own PostgreSQL or Redis (then the
 * outage counts it, and logs it once): a sweep every few seconds must not log the outage every time.
 */
export function warnUnlessOutage(
  outages: Outages | undefined,
  log: Logger,
  error: unknown,
  message: string,
): void {
  unlessOutage(outages, error, () => log.warn({ err: error }, message));
}

/**
 * Calls `otherwise` (which logs) unless `error` is an outage of opsbot's PostgreSQL or Redis, or its pool being
 * busy, counted there.
 */
export function unlessOutage(outages: Outages | undefined, error: unknown, otherwise: () => void): void {
  if (outages && isRedisUnreachable(error)) outages.redis.failed(error);
  else if (outages && isPostgresUnreachable(error)) {
    void postgresFailure(outages, error).then((counted) => counted || otherwise());
  } else otherwise();
}
