import { Redis } from 'ioredis';
import { z } from 'zod';
import { Duration } from '../../config/duration.js';
import { describeError } from '../../describe-error.js';
import { type HealthLevel, type HealthResult, timedResult } from '../levels.js';
import { baseCheckFields, type CheckType } from './check-type.js';

/** A share of `maxmemory`, in percent. */
const Percent = z.number().positive().max(100);

/**
 * A Redis health check: PING, then memory in use (INFO memory `used_memory`) against optional levels in
 * MiB, in percent of the server's `maxmemory`, or both (the worse level counts). In ops.yml:
 *
 *   - { type: redis, name: redis-memory, redis: "${BENTHAM_REDIS_URL}",
 *       memory_warning_percent: 80, memory_critical_percent: 95 }
 *
 * A server with `maxmemory 0` has no limit, so there is nothing to take a percentage of: the detail says
 * so, and only the MiB levels (if any) grade it.
 */
export const RedisCheckSchema = z.strictObject({
  ...baseCheckFields('redis'),
  redis: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL'),
  memory_warning_mb: z.number().positive().optional(),
  memory_critical_mb: z.number().positive().optional(),
  memory_warning_percent: Percent.optional(),
  memory_critical_percent: Percent.optional(),
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

/** Memory as INFO memory reports it, in MiB; `limit` 0 is no limit. */
interface Memory {
  used: number;
  limit: number;
}

/** PING, then memory in use against its levels, on a connection of its own that is always closed. */
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
    const memory = memoryOf(await redis.info('memory'));
    if (!memory) return result('critical', 'INFO memory did not report used_memory and maxmemory');
    return result(memoryLevel(check, memory), `PONG, ${describeMemory(check, memory)}`);
  } catch (error) {
    return result('critical', describeError(error));
  } finally {
    redis.disconnect();
  }
}

/** used_memory and maxmemory from an INFO memory answer, in MiB; undefined when either is missing. */
function memoryOf(info: string): Memory | undefined {
  const field = (name: string) => new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1];
  const used = field('used_memory');
  const limit = field('maxmemory');
  if (used === undefined || limit === undefined) return undefined;
  return { used: Number(used) / 1024 / 1024, limit: Number(limit) / 1024 / 1024 };
}

/** Critical if either critical level is crossed, else warning if either warning level is; percent needs a limit. */
function memoryLevel(check: Omit<RedisHealthCheckConfig, 'type'>, memory: Memory): HealthLevel {
  const percent = memory.limit > 0 ? (memory.used / memory.limit) * 100 : undefined;
  const crosses = (mb?: number, share?: number) =>
    (mb !== undefined && memory.used > mb) ||
    (share !== undefined && percent !== undefined && percent > share);
  if (crosses(check.memory_critical_mb, check.memory_critical_percent)) return 'critical';
  if (crosses(check.memory_warning_mb, check.memory_warning_percent)) return 'warning';
  return 'ok';
}

/** `8.2 MiB in use of its 10.0 MiB maxmemory (82 %)`, or what no limit means for the percent levels. */
function describeMemory(check: Omit<RedisHealthCheckConfig, 'type'>, memory: Memory): string {
  const used = `${memory.used.toFixed(1)} MiB in use`;
  if (memory.limit > 0) {
    const percent = Math.round((memory.used / memory.limit) * 1000) / 10;
    return `${used} of its ${memory.limit.toFixed(1)} MiB maxmemory (${percent} %)`;
  }
  const byPercent = check.memory_warning_percent !== undefined || check.memory_critical_percent !== undefined;
  return byPercent ? `${used}, no maxmemory set (no limit), so its percent levels do not apply` : used;
}
