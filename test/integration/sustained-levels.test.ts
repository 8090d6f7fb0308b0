import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseOpsConfig } from '../../src/config/load.js';
import { migrate } from '../../src/db/migrate.js';
import { checkService } from '../../src/health/check-service.js';
import { PostgresCounterWindows } from '../../src/health/postgres-counter-windows.js';
import { PostgresSustainedLevels } from '../../src/health/sustained-postgres.js';
import { createTestDatabase } from '../support/databases.js';

let own: Awaited<ReturnType<typeof createTestDatabase>>;
/** Two pools on one database: two opsbot processes (a web replica's `/ops status` and a worker's probe). */
let web: pg.Pool;
let worker: pg.Pool;
/** A service's `/metrics` with its error ratio as a gauge the test sets. */
let errorRatio = 0;
let server: Server;
let metrics: string;

beforeAll(async () => {
  own = await createTestDatabase('opsbot_sustained');
  web = new pg.Pool({ connectionString: own.url, max: 3 });
  worker = new pg.Pool({ connectionString: own.url, max: 3 });
  await migrate(web);
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`# TYPE error_ratio gauge\nerror_ratio ${errorRatio}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  metrics = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await web?.end();
  await worker?.end();
  await own?.drop();
});

beforeEach(async () => {
  await web.query('DELETE FROM sustained_levels');
});

/** The service's one check, critical above 1 %, counting only once that has lasted 2 s. */
function errorRateCheck() {
  const yaml = `
workspace: { ops_channel: C0OPS }
services:
  web:
    environment: staging
    health:
      - { name: error-rate, metrics: "${metrics}", value: { metric: error_ratio }, critical: { above: 0.01 }, sustained: 2s }
`;
  return parseOpsConfig(yaml, {}).services.web?.health ?? [];
}

/** One process: runs the check through its own pool, at the times (ms) it is called with. */
function processOn(pool: pg.Pool, clock: { now: number }) {
  const levels = new PostgresSustainedLevels(pool, () => clock.now);
  const windows = new PostgresCounterWindows(pool);
  const checks = errorRateCheck();
  return async (at: number) => {
    clock.now = at;
    const health = await checkService('ai-benchmark', checks, { database: () => pool, windows, levels });
    return health.checks.map(({ level, detail }) => ({ level, detail }));
  };
}

describe('PostgresSustainedLevels', () => {
  it('holds a level over the runs of two processes alike, counts it once it has lasted, and recovers at once', async () => {
    const clock = { now: 0 };
    const status = processOn(web, clock);
    const probe = processOn(worker, clock);
    const t0 = Date.now(); // near the database's own time, so no row looks long forgotten
    errorRatio = 0.05;
    expect(await probe(t0)).toEqual([
      { level: 'ok', detail: 'error_ratio 0.05; critical for 0 s (sustained 2s before it counts)' },
    ]);
    expect(await status(t0 + 1_000)).toEqual([
      { level: 'ok', detail: 'error_ratio 0.05; critical for 1 s (sustained 2s before it counts)' },
    ]);
    expect(await probe(t0 + 2_000)).toEqual([{ level: 'critical', detail: 'error_ratio 0.05' }]);
    expect(await status(t0 + 2_500)).toEqual([{ level: 'critical', detail: 'error_ratio 0.05' }]);
    errorRatio = 0.001;
    expect(await probe(t0 + 3_000)).toEqual([{ level: 'ok', detail: 'error_ratio 0.001' }]);
    errorRatio = 0.05;
    expect(await status(t0 + 4_000)).toEqual([
      { level: 'ok', detail: 'error_ratio 0.05; critical for 0 s (sustained 2s before it counts)' },
    ]);
  });

  it('stamps runs by the database’s clock when none is given, and takes two first runs at once', async () => {
    const stores = [web, worker].map((pool) => new PostgresSustainedLevels(pool));
    const held = await Promise.all(
      stores.map((store) => store.observe('ai-benchmark', 'latency', 'warning', 60_000)),
    );
    expect(held.map((h) => h.level)).toEqual(['ok', 'ok']);
    const { rows } = await web.query(
      `SELECT service, check_name, critical_since, now() - warning_since < interval '1 minute' AS recent
         FROM sustained_levels`,
    );
    expect(rows).toEqual([
      { service: 'ai-benchmark', check_name: 'latency', critical_since: null, recent: true },
    ]);
    expect(await stores[0]?.observe('ai-benchmark', 'latency', 'ok', 60_000)).toEqual({
      level: 'ok',
      forMs: 0,
    });
  });

  it('forgets a check that has not run for 7 days (renamed or removed from ops.yml) when a new one first runs', async () => {
    await web.query(
      `INSERT INTO sustained_levels (service, check_name, warning_since, critical_since, observed_at)
       VALUES ('ai-benchmark', 'old-name', NULL, NULL, now() - interval '8 days'),
              ('ai-benchmark', 'quiet', NULL, NULL, now() - interval '6 days')`,
    );
    await new PostgresSustainedLevels(worker).observe('ai-benchmark', 'new-name', 'ok', 60_000);
    const { rows } = await web.query('SELECT check_name FROM sustained_levels ORDER BY check_name');
    expect(rows.map((row) => row.check_name)).toEqual(['new-name', 'quiet']);
  });
});
