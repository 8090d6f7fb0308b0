import { Cluster, Redis } from 'ioredis';
import type { Env } from '../config/env.js';
import type { Logger } from '../log.js';
import type { Outage, Outages } from '../outages.js';
import { redisTarget } from './redis-target.js';

/** A connection to opsbot's Redis: one server, or a Redis Cluster (REDIS_URL listing nodes, or REDIS_CLUSTER=1). */
export type RedisConnection = Redis | Cluster;

/** Redis connections by the outages of the process that made them (see outagesOf). */
const registry = new WeakMap<RedisConnection, Outages>();

/**
 * A Redis connection for BullMQ, to one server or to a cluster. Workers block on Redis and need
 * `maxRetriesPerRequest: null`; producers fail fast instead of queueing commands while Redis is away
 * (`enableOfflineQueue: false`), so a request is answered at once. ioredis reconnects by itself (at most 2 s
 * apart), and on a cluster follows a failover to the promoted replica; given the process's Redis outage, its
 * errors (one per reconnect attempt) are counted there and the outage is logged once, and its end when it is ready.
 */
export function createRedis(
  env: Pick<Env, 'REDIS_URL' | 'REDIS_CLUSTER' | 'OPSBOT_QUEUE_PREFIX'>,
  use: 'worker' | 'producer',
  log: Logger,
  outages?: Outages,
): RedisConnection {
  const target = redisTarget(env.REDIS_URL, env.REDIS_CLUSTER);
  const worker = use === 'worker';
  const node = { maxRetriesPerRequest: worker ? null : 1, connectTimeout: 5_000 };
  const redis = target.cluster
    ? new Cluster(target.nodes, {
        enableOfflineQueue: worker,
        // ioredis's ready check leaves connect() unsettled when it meets a failover (cluster_state:fail), and
        // BullMQ's worker awaits that connect() when it resets its blocking connection: it would stop for good.
        enableReadyCheck: false,
        redisOptions: {
          ...node,
          username: target.username,
          password: target.password,
          ...(target.tls ? { tls: {} } : {}),
        },
      })
    : new Redis(target.url, { ...node, enableOfflineQueue: worker, lazyConnect: false });
  if (outages) {
    registry.set(redis, outages);
    redis.on('error', (error) => outages.redis.failed(error));
    if (redis instanceof Cluster) recoverWhenSlotAnswers(redis, env.OPSBOT_QUEUE_PREFIX, outages.redis);
    else redis.on('ready', () => outages.redis.recovered());
  } else {
    redis.on('error', (error) => log.warn({ err: { message: error.message } }, 'Redis connection error'));
  }
  return redis;
}

/**
 * Ends the outage when the cluster serves opsbot's hash slot again. A cluster is ready, and reads its slots
 * again, while the master of that slot is still failing over, so each time it does during an outage, a read of
 * a key in the slot (EXISTS, which makes no key) tells whether opsbot's keys can be reached.
 */
function recoverWhenSlotAnswers(cluster: Cluster, prefix: string, outage: Outage): void {
  let probing = false;
  const probe = () => {
    if (probing || !outage.down) return;
    probing = true;
    servesOpsbotKeys(cluster, prefix)
      .then(
        () => outage.recovered(),
        () => undefined,
      )
      .finally(() => {
        probing = false;
      });
  };
  cluster.on('ready', probe);
  cluster.on('refresh', probe);
}

/**
 * Resolves when Redis serves opsbot's keys now: a read (EXISTS, which makes no key) of a key under the queue
 * prefix. On a cluster it goes to the master of the prefix's hash slot, so it fails while that slot has no
 * master (failing over, or not covered), when a PING to any node would still answer. Readiness and the Redis
 * outage's probe use it.
 */
export async function servesOpsbotKeys(redis: RedisConnection, prefix: string): Promise<void> {
  await redis.exists(`${prefix}:reachable`);
}

/** The outages a connection made by createRedis reports to, for the queues and workers on it. */
export function outagesOf(redis: RedisConnection): Outages | undefined {
  return registry.get(redis);
}
