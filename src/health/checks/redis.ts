import { Redis } from 'ioredis';
import { z } from 'zod';
import { Duration } from '../../config/duration.js';
import { describeError } from '../../describe-error.js';
import { type HealthResult, levelOf, timedResult } from '../levels.js';
import { baseCheckFields, type CheckType } from './check-type.js';

/** A Redis health check: PING, and memory in use against optional levels (MiB). */
export const RedisCheckSchema = z.strictObject({
  ...baseCheckFields('redis'),
  redis: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL'),
  memory_warning_mb: z.number().positive().optional(),
  memory_critical_mb: z.number().positive().optional(),
  timeout: Duration.prefault('5s'),
});
export type RedisHealthCheckConfig = z.infer<typeof RedisCheckSchema>;

/** `type: redis` (or any check with a `redis` URL): PING and memory in use. */
export const redisCheck = {
  type: 'redis',
  configSchema: RedisCheckSchema,
  inferredFrom: ['redis'],
  run: (config) => runRedisCheck(config),
} satisfies CheckType<RedisHealthCheckConfig>;

/** PING, then memory in use (MiB) against its levels, on a connection of its own that is always closed. */
async function runRedisCheck(check: Omit<RedisHealthCheckConfig, 'type'>): Promise<HealthResult> {
  const result = timedResult(check.name);
  const redis = new Redis(check.redis, {
    lazyConnect: true,
    connectTimeout: check.timeout,
    commandTimeout: check.timeout,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined); // reported below, once
  try {
    await redis.connect();
    const pong = await redis.ping();
    if (pong !== 'PONG') return result('critical', `PING answered ${pong}`);
    const info = await redis.info('memory');
    const used = Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN) / 1024 / 1024;
    const level = levelOf(
      used,
      check.memory_warning_mb === undefined ? undefined : { above: check.memory_warning_mb },
      check.memory_critical_mb === undefined ? undefined : { above: check.memory_critical_mb },
    );
    return result(level, `PONG, ${used.toFixed(1)} MiB in use`);
  } catch (error) {
    return result('critical', describeError(error));
  } finally {
    redis.disconnect();
  }
}
