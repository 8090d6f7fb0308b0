import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { eventually } from './databases.js';
import { freePort } from './private-servers.js';

const run = promisify(execFile);

/** A key found on a node of the cluster, and the hash slot Redis puts it in. */
export interface ClusterKey {
  port: number;
  key: string;
  slot: number;
}

/**
 * A Redis Cluster of a test file's own: three masters with a replica each, redis-server processes on ports of
 * their own (the shared Redis on 6379 is never touched). A node that misses a second of pings is failed, so a
 * killed master's replica takes over within a few seconds. See REFERENCE.md.
 */
export interface PrivateRedisCluster {
  /** redis://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3: the masters, as REDIS_URL lists a cluster's nodes. */
  url: string;
  /** The hash slot of `key`. */
  slotOf(key: string): Promise<number>;
  /** The port of the master serving `slot` now. */
  masterOf(slot: number): Promise<number>;
  /** The ports of the nodes that serve `slot` now: its master and its replicas. */
  nodesOf(slot: number): Promise<number[]>;
  /** Every key on every node still running, with its slot. */
  keys(): Promise<ClusterKey[]>;
  /** Kills a node with SIGKILL, as a crash would. */
  kill(port: number): Promise<void>;
  /** Resolves once the cluster is whole: all slots served (state ok) on every running node. */
  healthy(timeoutMs?: number): Promise<void>;
  /** Resolves once a node other than `master` (a replica it had) serves `slot` and the cluster is whole again. */
  failedOver(slot: number, master: number): Promise<void>;
  /** Stops every node and deletes their files. */
  close(): Promise<void>;
}

const MASTERS = 3;
/** Replicas are told a master failed after this many ms without an answer (redis.conf's default is 15 s). */
const NODE_TIMEOUT_MS = 1_000;

/** Starts the six nodes, makes them a cluster (`redis-cli --cluster create`), and waits until it is whole. */
export async function startPrivateRedisCluster(): Promise<PrivateRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'opsbot-redis-cluster-'));
  const ports: number[] = [];
  for (let i = 0; i < MASTERS * 2; i += 1) ports.push(await freePort());
  /** The running nodes' process ids by port. */
  const live = new Map<number, number>();
  // A test process that ends without closing the cluster (a hook timed out) leaves no redis-server behind.
  const killAll = () => {
    for (const pid of live.values()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  };
  process.once('exit', killAll);
  const cli = async (port: number, ...args: string[]) =>
    (await run('redis-cli', ['-p', String(port), ...args])).stdout.trim();
  const anyLive = () => {
    const [port] = live.keys();
    if (port === undefined) throw new Error('no node of the cluster is running');
    return port;
  };
  /** CLUSTER SHARDS as master and replica ports by slot range, read from a running node. */
  const shards = async () => {
    const redis = new Redis({ port: anyLive(), lazyConnect: true });
    try {
      await redis.connect();
      const reply = (await redis.call('CLUSTER', 'SHARDS')) as unknown[][];
      return reply.map((shard) => {
        const fields = pairs(shard);
        const slots = fields.slots as number[];
        const nodes = (fields.nodes as unknown[][]).map(pairs);
        const up = nodes.filter((node) => node.health === 'online');
        return {
          ranges: slots,
          master: up.find((node) => node.role === 'master')?.port as number | undefined,
          ports: up.map((node) => node.port as number),
        };
      });
    } finally {
      redis.disconnect();
    }
  };
  const shardOf = async (slot: number) => {
    const found = (await shards()).find(({ ranges }) =>
      ranges.some((start, i) => i % 2 === 0 && slot >= start && slot <= (ranges[i + 1] ?? -1)),
    );
    if (!found) throw new Error(`no shard serves slot ${slot}`);
    return found;
  };
  const cluster: PrivateRedisCluster = {
    url: `redis://${ports
      .slice(0, MASTERS)
      .map((port) => `127.0.0.1:${port}`)
      .join(',')}`,
    slotOf: async (key) => Number(await cli(anyLive(), 'CLUSTER', 'KEYSLOT', key)),
    async masterOf(slot) {
      const { master } = await shardOf(slot);
      if (master === undefined) throw new Error(`slot ${slot} has no master`);
      return master;
    },
    nodesOf: async (slot) => (await shardOf(slot)).ports,
    async keys() {
      const found: ClusterKey[] = [];
      for (const port of live.keys()) {
        const redis = new Redis({ port, lazyConnect: true });
        try {
          await redis.connect();
          for (const key of await scanAll(redis)) {
            found.push({ port, key, slot: Number(await redis.call('CLUSTER', 'KEYSLOT', key)) });
          }
        } finally {
          redis.disconnect();
        }
      }
      return found;
    },
    async kill(port) {
      const pid = live.get(port);
      if (pid === undefined) throw new Error(`no node of the cluster runs on ${port}`);
      process.kill(pid, 'SIGKILL');
      live.delete(port);
    },
    async healthy(timeoutMs = 20_000) {
      await eventually(async () => {
        for (const port of live.keys()) {
          expect(await cli(port, 'CLUSTER', 'INFO')).toContain('cluster_state:ok');
        }
      }, timeoutMs);
    },
    async failedOver(slot, master) {
      await eventually(async () => expect(await cluster.masterOf(slot)).not.toBe(master), 20_000);
      await cluster.healthy();
    },
    async close() {
      killAll();
      live.clear();
      process.off('exit', killAll);
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const port of ports) {
      const nodeDir = join(dir, String(port));
      await mkdir(nodeDir);
      await run('redis-server', [
        ...['--port', String(port), '--bind', '127.0.0.1', '--cluster-port', String(await freePort())],
        ...['--cluster-enabled', 'yes', '--cluster-config-file', join(nodeDir, 'nodes.conf')],
        ...['--cluster-node-timeout', String(NODE_TIMEOUT_MS), '--save', '', '--appendonly', 'no'],
        ...['--maxmemory-policy', 'noeviction', '--dir', nodeDir],
        ...['--daemonize', 'yes', '--pidfile', join(nodeDir, 'pid')],
      ]);
      // A daemonized redis-server writes its pid file a moment after redis-server returns.
      const pid = await eventually(async () => {
        const written = Number((await readFile(join(nodeDir, 'pid'), 'utf8')).trim());
        expect(written).toBeGreaterThan(0);
        return written;
      });
      live.set(port, pid);
      await eventually(() => cli(port, 'PING'));
    }
    const nodes = ports.map((port) => `127.0.0.1:${port}`);
    await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '1', '--cluster-yes']);
    await cluster.healthy();
    // Replicas are attached a moment after the slots: each master has its replica in sync before a test kills one.
    await eventually(async () => {
      const all = await shards();
      expect(all).toHaveLength(MASTERS);
      for (const shard of all) expect(shard.ports).toHaveLength(2);
      for (const port of ports) {
        const info = await cli(port, 'INFO', 'replication');
        if (info.includes('role:slave')) expect(info).toContain('master_link_status:up');
      }
    }, 20_000);
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}

/** Every key of one node (SCAN, so a big node is read in pieces). */
async function scanAll(redis: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** A RESP2 map (a flat list of field, value) as an object. */
function pairs(list: unknown[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (let i = 0; i + 1 < list.length; i += 2) fields[String(list[i])] = list[i + 1];
  return fields;
}
