import type { Pool } from 'pg';
import type { OpsConfig } from '../config/ops-config.js';
import { own } from '../config/own.js';
import { createPool } from '../db/pool.js';
import { NotFoundError } from '../errors.js';
import type { Logger } from '../log.js';
import { ACTIONS_QUEUE, QUEUES } from '../queue/queues.js';

/**
 * Connections per database and process: one for each action a worker runs at once (a pool that is merely busy
 * fails a waiting query after the pool's 5 s connect timeout, as if PostgreSQL were down), and one more for the
 * health checks, lookups and plans beside them.
 */
const TARGET_POOL_SIZE = QUEUES[ACTIONS_QUEUE].concurrency + 1;

/** Pools for the services' own databases, opened on first use and kept small. */
export class TargetDatabases {
  private readonly pools = new Map<string, Pool>();

  constructor(
    private readonly services: OpsConfig['services'],
    private readonly log: Logger,
  ) {}

  /** The pool of database `name` of `service`. */
  pool(service: string, name: string): Pool {
    const key = `${service}/${name}`;
    const existing = this.pools.get(key);
    if (existing) return existing;
    const serviceConfig = own(this.services, service);
    const url = serviceConfig && own(serviceConfig.databases, name)?.url;
    if (!url) throw new NotFoundError(`${service} has no database called ${name}.`);
    const pool = createPool(url, this.log.child({ target: key }), TARGET_POOL_SIZE);
    this.pools.set(key, pool);
    return pool;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.end()));
    this.pools.clear();
  }
}
