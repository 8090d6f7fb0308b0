import { Redis } from 'ioredis';

/** Removes a test run's BullMQ keys, so test runs leave nothing behind in Redis. */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis('redis://127.0.0.1:6379');
  try {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
