import type { Redis } from 'ioredis';

/** A fixed-window limit on how many actions one user may request per minute, shared by all replicas. */
export class RequestLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly perMinute: number,
  ) {}

  /** Counts one request; false when the user is over the limit for the current minute. */
  async take(userId: string): Promise<boolean> {
    const key = `${this.prefix}:rate:${userId}:${Math.floor(Date.now() / 60_000)}`;
    const results = await this.redis.multi().incr(key).expire(key, 120).exec();
    const count = Number(results?.[0]?.[1] ?? 0);
    return count <= this.perMinute;
  }
}
