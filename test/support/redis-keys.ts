import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from './test-env.js';

/** Removes a test run's BullMQ keys, so test runs leave nothing behind in Redis. */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
