import { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { Outages } from '../outages.js';

/** Redis connections by the outages of the process that made them (see outagesOf). */
const registry = new WeakMap<Redis, Outages>();

/**
 * A Redis connection for BullMQ. Workers block on Redis and need `maxRetriesPerRequest: null`;
 * producers fail fast instead of queueing commands while Redis is away (`enableOfflineQueue: false`), so a
 * request is answered at once. ioredis reconnects by itself (at most 2 s apart); given the process's Redis outage, its errors
 * (one per reconnect attempt) are counted there and the outage is logged once, and its end when it is ready.
 */
export function createRedis(url: string, use: 'worker' | 'producer', log: Logger, outages?: Outages): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: use === 'worker' ? null : 1,
    enableOfflineQueue: use === 'worker',
    connectTimeout: 5_000,
    lazyConnect: false,
  });
  if (outages) {
    registry.set(redis, outages);
    redis.on('error', (error) => outages.redis.failed(error));
    redis.on('ready', () => outages.redis.recovered());
  } else {
    redis.on('error', (error) => log.warn({ err: { message: error.message } }, 'Redis connection error'));
  }
  return redis;
}

/** The outages a connection made by createRedis reports to, for the queues and workers on it. */
export function outagesOf(redis: Redis): Outages | undefined {
  return registry.get(redis);
}
