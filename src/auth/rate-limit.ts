import { ConflictError } from '../errors.js';
import { isRedisUnreachable } from '../outages.js';
import type { RedisConnection } from '../queue/redis.js';

const MINUTE_MS = 60_000;

/** A fixed-window limit on how many requests one user may make per minute, shared by all replicas. */
export class RequestLimiter {
  /** `budget` names the counter: limiters with different budgets never use up each other's. */
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly perMinute: number,
    private readonly budget = 'rate',
  ) {}

  /** Counts one request; false when the user is over the limit for the current minute. */
  async take(userId: string, now = Date.now()): Promise<boolean> {
    return (await this.wait(userId, now)) === 0;
  }

  /**
   * Counts one request; 0 when it is within the limit, else the milliseconds until the window ends. While
   * Redis is away nobody is limited: the limit guards against floods, and an outage is no time to refuse
   * the people fixing it (the outage is logged by the connection).
   */
  async wait(userId: string, now = Date.now()): Promise<number> {
    const window = Math.floor(now / MINUTE_MS);
    const key = `${this.prefix}:${this.budget}:${userId}:${window}`;
    let results: [Error | null, unknown][] | null;
    try {
      results = await this.redis.multi().incr(key).expire(key, 120).exec();
    } catch (error) {
      if (isRedisUnreachable(error)) return 0;
      throw error;
    }
    const count = Number(results?.[0]?.[1] ?? 0);
    return count <= this.perMinute ? 0 : (window + 1) * MINUTE_MS - now;
  }
}

/**
 * The per-user budget of read commands (`status`, `show`, `pods`, `oncall`, `digest now`). It is kept apart
 * from the action budget, so someone refreshing `/ops status` through an outage can still run the fix.
 */
export class ReadLimit {
  constructor(
    private readonly limiter: RequestLimiter,
    private readonly perMinute: number,
  ) {}

  /** Counts one read; refuses one over the limit, before anything is done, saying when to try again. */
  async require(userId: string, now = Date.now()): Promise<void> {
    const waitMs = await this.limiter.wait(userId, now);
    if (waitMs === 0) return;
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    throw new ConflictError(
      `You have run ${this.perMinute} read commands (status, show, pods, logs, history, oncall, digest) this minute; ` +
        `try again in ${seconds} ${seconds === 1 ? 'second' : 'seconds'}.`,
    );
  }
}
