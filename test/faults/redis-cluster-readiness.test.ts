import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dependencyChecks } from '../../src/http/readiness-checks.js';
import { operationalRoutes, serveRoutes } from '../../src/http/routes.js';
import { createLogger } from '../../src/log.js';
import { createRedis, type RedisConnection } from '../../src/queue/redis.js';
import { eventually } from '../support/databases.js';
import { freePort } from '../support/private-servers.js';
import { quietMetrics } from '../support/quiet-metrics.js';
import { queuePrefix, TEST_DATABASE_URL } from '../support/test-env.js';

const run = promisify(execFile);

// One redis-server of this file's own in cluster mode, serving every hash slot but opsbot's prefix's (as while
// the master of that slot fails over, or when it is not covered): the node answers PING, opsbot's keys cannot
// be served. /readyz must say so, then turn ready once the slot is served.

let dir: string;
let node: ChildProcess;
let port: number;
let redis: RedisConnection;
let server: Server;
const prefix = queuePrefix('ready');
let slot: number;

const cli = async (...args: string[]) =>
  (await run('redis-cli', ['-p', String(port), ...args])).stdout.trim();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opsbot-redis-ready-'));
  port = await freePort();
  node = spawn(
    'redis-server',
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
      ...['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf')],
      ...['--cluster-require-full-coverage', 'no', '--cluster-announce-ip', '127.0.0.1'],
    ],
    { stdio: 'ignore' },
  );
  await eventually(async () => expect(await cli('ping')).toBe('PONG'));
  slot = Number(await cli('cluster', 'keyslot', prefix));
  const ranges = [
    [0, slot - 1],
    [slot + 1, 16_383],
  ].filter(([from, to]) => (from as number) <= (to as number));
  await cli('cluster', 'addslotsrange', ...ranges.flat().map(String));
  const log = createLogger('silent');
  redis = createRedis(
    { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_CLUSTER: true, OPSBOT_QUEUE_PREFIX: prefix },
    'producer',
    log,
  );
  // The node answers PING through the cluster connection: the old readiness check would pass.
  await eventually(async () => expect(await redis.ping()).toBe('PONG'));
  const metrics = quietMetrics();
  const routes = operationalRoutes(metrics, dependencyChecks(TEST_DATABASE_URL, redis, prefix));
  server = await serveRoutes(routes, await freePort());
});
afterAll(async () => {
  redis?.disconnect();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  node?.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function readyz(): Promise<{ status: number; checks: Record<string, string> }> {
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('not listening');
  const response = await fetch(`http://127.0.0.1:${address.port}/readyz`);
  return {
    status: response.status,
    checks: ((await response.json()) as { checks: Record<string, string> }).checks,
  };
}

describe('/readyz on a Redis Cluster', () => {
  it("fails while opsbot's hash slot is not served though the node answers PING, and passes once it is", async () => {
    const unserved = await readyz();
    expect(unserved.status).toBe(503);
    expect(unserved.checks.redis).toMatch(/^failing: /);
    expect(unserved.checks.postgres).toBe('ok');

    await cli('cluster', 'addslots', String(slot));
    await eventually(async () =>
      expect(await readyz()).toEqual({ status: 200, checks: { postgres: 'ok', redis: 'ok' } }),
    );
  });
});
