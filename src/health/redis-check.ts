import { Redis } from 'ioredis';
import type { RedisHealthCheckConfig } from '../config/ops-config.js';
import { describeError } from '../describe-error.js';
import { type HealthResult, levelOf, timedResult } from './levels.js';

/** PING, then memory in use (MiB) against its levels, on a connection of its own that is always closed. */
export async function runRedisCheck(check: RedisHealthCheckConfig): Promise<HealthResult> {
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
