import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HealthCheckSchema, runCheck } from '../../src/health/checks/registry.js';
import { eventually } from '../support/databases.js';
import { CounterWindows } from '../support/memory-counter-windows.js';

/** A Redis server of this file's own (never the shared one's config), with a 10 MiB maxmemory by default. */
let server: ChildProcess;
let url: string;
let redis: Redis;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

beforeAll(async () => {
  const port = await freePort();
  server = spawn(
    'redis-server',
    ['--port', `${port}`, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  url = `redis://127.0.0.1:${port}`;
  redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
  redis.on('error', () => undefined); // until the server listens
  await eventually(() => redis.ping());
});
afterAll(() => {
  redis.disconnect();
  server.kill();
});
beforeEach(async () => {
  await redis.flushall();
  await redis.config('SET', 'maxmemory', '10mb');
});

/** Runs a redis check on the private server with these extra fields, as parsed from ops.yml. */
function check(fields: Record<string, unknown>) {
  const config = HealthCheckSchema.parse({ type: 'redis', name: 'cache', redis: url, ...fields });
  return runCheck(config, {
    database: () => {
      throw new Error('no database here');
    },
    windows: new CounterWindows(),
  });
}

/** Memory in use as a percentage of maxmemory, read from INFO memory as the check does. */
async function percentNow(): Promise<number> {
  const info = await redis.info('memory');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1]);
  return (field('used_memory') / field('maxmemory')) * 100;
}

describe('redis check: memory as a percentage of maxmemory', () => {
  it('says how much of maxmemory is in use, and is ok under its percent levels', async () => {
    const result = await check({ memory_warning_percent: 80, memory_critical_percent: 95 });
    expect(result.level).toBe('ok');
    const [, percent] = /^PONG, \d+\.\d MiB in use of its 10\.0 MiB maxmemory \((\d+(?:\.\d)?) %\)$/.exec(
      result.detail,
    ) ?? [result.detail];
    expect(Number(percent)).toBeCloseTo(await percentNow(), 0);
  });

  it('is a warning past the warning percent and critical past the critical percent', async () => {
    for (const key of ['a', 'b', 'c', 'd', 'e']) await redis.set(key, 'x'.repeat(1024 * 1024));
    const share = await percentNow();
    expect(share).toBeGreaterThan(50);
    expect((await check({ memory_warning_percent: 40, memory_critical_percent: 95 })).level).toBe('warning');
    expect((await check({ memory_warning_percent: 20, memory_critical_percent: 40 })).level).toBe('critical');
  });

  it('counts the worse of its MiB and percent levels', async () => {
    const result = await check({ memory_warning_percent: 90, memory_critical_mb: 0.1 });
    expect(result.level).toBe('critical');
  });

  it('with no maxmemory (0), says so and is graded by its MiB levels only', async () => {
    await redis.config('SET', 'maxmemory', '0');
    const byPercent = await check({ memory_warning_percent: 1, memory_critical_percent: 2 });
    expect(byPercent).toMatchObject({
      level: 'ok',
      detail: expect.stringMatching(
        /^PONG, \d+\.\d MiB in use, no maxmemory set \(no limit\), so its percent levels do not apply$/,
      ),
    });
    const byMib = await check({ memory_warning_percent: 1, memory_warning_mb: 0.1 });
    expect(byMib.level).toBe('warning');
    expect((await check({})).detail).toMatch(/^PONG, \d+\.\d MiB in use$/);
  });

  it('refuses a percent level that is not between 0 and 100', () => {
    const problems = (percent: number) =>
      HealthCheckSchema.safeParse({
        type: 'redis',
        name: 'cache',
        redis: url,
        memory_warning_percent: percent,
      }).error?.issues.map((issue) => issue.message);
    expect(problems(101)).toEqual(['Too big: expected number to be <=100']);
    expect(problems(0)).toEqual(['Too small: expected number to be >0']);
    expect(problems(80)).toBeUndefined();
  });
});
