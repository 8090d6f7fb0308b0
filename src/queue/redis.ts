import { Redis } from 'ioredis';
import type { Logger } from '../log.js';

/**
 * A Redis connection for BullMQ. Workers block on Redis and need `maxRetriesPerRequest: null`;
 * producers fail fast instead of queueing commands while Redis is away.
 */
export function createRedis(url: string, use: 'worker' | 'producer', log: Logger): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: use === 'worker' ? null : 1,
    enableOfflineQueue: use === 'worker',
    connectTimeout: 5_000,
    lazyConnect: false,
  });
  redis.on('error', (error) => log.warn({ err: { message: error.message } }, 'Redis connection error'));
  return redis;
}
