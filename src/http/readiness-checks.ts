import { probePostgres } from '../db/pool.js';
import { type RedisConnection, servesOpsbotKeys } from '../queue/redis.js';
import type { ReadinessChecks } from './routes.js';

/**
 * /readyz's checks of opsbot's own PostgreSQL and Redis. PostgreSQL is asked on a connection of its own, not
 * through the pool: a pool whose clients are all busy is load, and a readiness probe failing under load takes
 * the replica out of its Service, so the others take its load and fail in turn (a cascade); a busy replica
 * tells people to try again and recovers by itself. Redis is asked for a key under the queue prefix, so on a
 * cluster the master of opsbot's hash slot answers, not any node.
 */
export function dependencyChecks(
  databaseUrl: string,
  redis: RedisConnection,
  prefix: string,
): ReadinessChecks {
  return {
    postgres: () => probePostgres(databaseUrl),
    redis: () => servesOpsbotKeys(redis, prefix),
  };
}
