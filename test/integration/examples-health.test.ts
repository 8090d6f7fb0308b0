import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseOpsConfig } from '../../src/config/load.js';
import type { OpsConfig } from '../../src/config/ops-config.js';
import { migrate } from '../../src/db/migrate.js';
import type { HealthLevel } from '../../src/health/levels.js';
import { PostgresCounterWindows } from '../../src/health/postgres-counter-windows.js';
import { StatusService } from '../../src/health/status.js';
import { PostgresSustainedLevels } from '../../src/health/sustained-postgres.js';
import { createLogger } from '../../src/log.js';
import { TargetDatabases } from '../../src/targets/databases.js';
import { AI_BENCHMARK_SCHEMA } from '../fixtures/seeds/ai-benchmark/service.js';
import { createBenthamJobs } from '../support/bentham-fixture.js';
import { createTestDatabase } from '../support/databases.js';
import { exampleVars } from '../support/example-vars.js';

type Example = 'bentham' | 'benchcode' | 'abrm' | 'ai-benchmark' | 'redmine-rag';
const EXAMPLES: Example[] = ['bentham', 'benchcode', 'abrm', 'ai-benchmark', 'redmine-rag'];

/** How a faked service misbehaves: no answer, an HTML error page, unhealthy JSON, or garbled metrics. */
type Fault = 'hang' | 'html' | 'unhealthy' | 'malformed';

/** The services the examples probe, faked under one path prefix each (`/bentham/v1/health`, ...). */
const HEALTHY: Record<string, unknown> = {
  '/bentham/health': { status: 'ok' },
  '/bentham/v1/health': { status: 'healthy', services: { database: 'healthy', redis: 'healthy' } },
  '/benchcode/up': 'Application up',
  '/inference/health': { status: 'ok', models: 3 },
  '/abrm/healthz': {}, // ABRM's runbook does not show the body: its example grades only the status
  '/ai-benchmark/health': { status: 'alive' },
  '/ai-benchmark/ready': { status: 'ready' },
  // Redmine RAG's HealthResponse (its runbook names the fields, not their shape; the app's schema does).
  '/redmine-rag/healthz': {
    status: 'ok',
    checks: [
      { name: 'database', status: 'ok', latency_ms: 3 },
      { name: 'llm_runtime', status: 'ok', latency_ms: 12 },
    ],
    sync_jobs: { queued: 0, running: 1, finished: 40, failed: 0 },
  },
};
const UNHEALTHY: Record<string, unknown> = {
  '/bentham/v1/health': { status: 'healthy', services: { database: 'healthy', redis: 'degraded' } },
  '/redmine-rag/healthz': {
    status: 'fail',
    checks: [
      { name: 'database', status: 'fail', latency_ms: 3 },
      { name: 'llm_runtime', status: 'warn', latency_ms: 12 },
    ],
    sync_jobs: { queued: 0, running: 0, finished: 40, failed: 12 },
  },
};

/** The metrics of the service that exposes them (AI Benchmark, with runbook 003's names and labels). */
function serviceMetrics() {
  const registry = new Registry();
  const requests = new Counter({
    name: 'benchmark_requests_total',
    help: 'Benchmark API requests',
    labelNames: ['endpoint', 'method', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'benchmark_response_time_seconds',
    help: 'Benchmark API response time',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({ name: 'benchmark_active_runs', help: 'Benchmark runs', registers: [registry] }).set(3);
  /** `ok` answers of 40 ms and `errors` 5xx answers of 3 s. */
  const serve = (ok: number, errors: number) => {
    requests.inc({ endpoint: '/api/benchmark/list', method: 'GET', status: '200' }, ok);
    if (errors > 0) requests.inc({ endpoint: '/api/benchmark/run', method: 'POST', status: '503' }, errors);
    for (let i = 0; i < ok; i++) duration.observe(0.04);
    for (let i = 0; i < errors; i++) duration.observe(3);
  };
  return { registry, serve };
}
const metrics = { 'ai-benchmark': serviceMetrics() };
/** Before each test, a day of good traffic with a few errors, and no earlier scrape by opsbot. */
async function freshCounters(): Promise<void> {
  metrics['ai-benchmark'] = serviceMetrics();
  metrics['ai-benchmark'].serve(1999, 1);
  await pool.query('DELETE FROM counter_windows');
  await pool.query('DELETE FROM sustained_levels');
}
const faults = new Map<string, Fault>();

function answer(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '';
  const prefix = path.split('/')[1] ?? '';
  const fault = faults.get(prefix);
  if (fault === 'hang') return;
  if (fault === 'html') {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>502 Bad Gateway</title>');
    return;
  }
  const registry = path.endsWith('/metrics') ? metrics[prefix as keyof typeof metrics]?.registry : undefined;
  if (registry && fault === 'malformed') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(
      '# TYPE benchmark_requests_total counter\nbenchmark_requests_total{status="200"} 12\nbenchmark_requests_total{status="503} 1\n',
    );
  } else if (registry) {
    void registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(text);
    });
  } else if (path in HEALTHY) {
    const body = (fault === 'unhealthy' && UNHEALTHY[path]) || HEALTHY[path];
    res.writeHead(200, { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  } else {
    res.writeHead(404);
    res.end();
  }
}

let services: Server;
let own: Awaited<ReturnType<typeof createTestDatabase>>;
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let fixture: pg.Pool;
let pool: pg.Pool;
let vars: Record<string, string>;
const opened: TargetDatabases[] = [];

beforeAll(async () => {
  services = createServer(answer);
  await new Promise<void>((resolve) => services.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(services.address() as AddressInfo).port}`;
  own = await createTestDatabase('opsbot_examples_health');
  target = await createTestDatabase('examples_health_target');
  fixture = await createBenthamJobs(target.url);
  await fixture.query(AI_BENCHMARK_SCHEMA);
  pool = new pg.Pool({ connectionString: own.url, max: 2 });
  await migrate(pool);
  vars = exampleVars(host, target.url, (service) => `http://${host}/${service}`);
});

afterAll(async () => {
  await Promise.all(opened.map((targets) => targets.close()));
  await pool?.end();
  await fixture?.end();
  services?.closeAllConnections();
  await new Promise((resolve) => services?.close(resolve));
  await own?.drop();
  await target?.drop();
});

beforeEach(async () => {
  faults.clear();
  await freshCounters();
});

/** Each check of the example's service as `/ops status` ran it: [name, level, detail]. */
async function statusOf(example: Example, timeoutMs?: number): Promise<[string, HealthLevel, string][]> {
  const config = parseOpsConfig(readFileSync(`examples/${example}.ops.yml`, 'utf8'), vars);
  if (timeoutMs !== undefined) shortenTimeouts(config, timeoutMs);
  const targets = new TargetDatabases(config.services, createLogger('silent'));
  opened.push(targets);
  const status = new StatusService({
    config,
    pool,
    targets,
    windows: new PostgresCounterWindows(pool),
    levels: new PostgresSustainedLevels(pool),
    rolesOf: async () => ({ global: { role: 'viewer', source: 'test' }, services: {} }),
    auditDenial: async () => undefined,
  });
  const [service] = await status.status('U0VIEWER', example);
  return (service?.checks ?? []).map((check) => [check.name, check.level, check.detail]);
}

/** So that a test of an endpoint that never answers waits a fraction of a second, not the examples' 5 s. */
function shortenTimeouts(config: OpsConfig, timeoutMs: number): void {
  for (const service of Object.values(config.services)) {
    for (const check of service.health) check.timeout = timeoutMs;
  }
}

const FIRST_SCRAPE = 'since the counters started (first scrape)';
/** Bentham's checks of its database and Redis (not of its HTTP endpoints), as they are on the fixture. */
const BENTHAM_DATABASE_AND_REDIS: [string, HealthLevel, unknown][] = [
  ['database', 'ok', '1'],
  ['db-connections', 'ok', expect.stringMatching(/^\d+ of \d+ connections \(\d+(\.\d)? %\)$/)],
  ['queue-depth', 'ok', '0 pending jobs'],
  ['study-failure-rate', 'ok', '0'],
  ['redis', 'ok', expect.stringMatching(/^PONG, /)],
];
/** AI Benchmark's checks of its database and Redis, as they are on the fixture (its benchmarks table). */
const AI_BENCHMARK_DATABASE_AND_REDIS: [string, HealthLevel, unknown][] = [
  ['redis', 'ok', expect.stringMatching(/^PONG, /)],
  ['db-connections', 'ok', expect.stringMatching(/^\d+ of \d+ connections \(\d+(\.\d)? %\)$/)],
  ['query-time', 'ok', expect.stringMatching(/^\d+ ms$/)],
  ['db-size', 'ok', expect.stringMatching(/^\d+ MiB$/)],
];
/** Whether a check is one of those (the rest probe the fake services over HTTP). */
const probesNoHttp = ([name]: [string, ...unknown[]]) =>
  [...BENTHAM_DATABASE_AND_REDIS, ...AI_BENCHMARK_DATABASE_AND_REDIS].some(([other]) => other === name);
/** AI Benchmark's checks that hold a worse level back for runbook 003's 2 minutes (its alerts' `for: 2m`). */
const SUSTAINED_2M = ['p95-latency', 'error-rate', 'throughput'];
/** What such a check says about a first bad run: what it measured, and that it does not count yet. */
const heldBack = (detail: string, level: HealthLevel) =>
  `${detail}; ${level} for 0 s (sustained 2m before it counts)`;

describe('the example configs’ health checks against healthy fake services', () => {
  const expected: Record<Example, [string, HealthLevel, unknown][]> = {
    bentham: [['liveness', 'ok', '200'], ['api', 'ok', '200'], ...BENTHAM_DATABASE_AND_REDIS],
    benchcode: [
      ['laravel', 'ok', '200'],
      ['inference', 'ok', '200'],
      ['database', 'ok', '1'],
    ],
    abrm: [['healthz', 'ok', '200']],
    'ai-benchmark': [
      ['liveness', 'ok', '200'],
      ['readiness', 'ok', '200'],
      ['p95-latency', 'ok', `p95 0.0475 s from 2,000 observations ${FIRST_SCRAPE}`],
      ['error-rate', 'ok', `0.05 % (1 of 2,000) ${FIRST_SCRAPE}`],
      [
        'throughput',
        'ok',
        'no rate of benchmark_requests_total yet (first scrape); the next scrape measures it',
      ],
      ['active-runs', 'ok', 'benchmark_active_runs 3'],
      ...AI_BENCHMARK_DATABASE_AND_REDIS,
    ],
    'redmine-rag': [
      [
        'healthz',
        'ok',
        '200, sync_jobs.failed = 0, checks.name=database.latency_ms = 3, checks.name=database.status = ok, checks.name=llm_runtime.status = ok',
      ],
    ],
  };

  it.each(EXAMPLES)('%s: every check is ok, each with what it measured', async (example) => {
    expect(await statusOf(example)).toEqual(expected[example]);
  });
});

describe('the example configs’ health checks when their services fail', () => {
  it.each(['ai-benchmark'] as const)(
    '%s: a burst of slow 5xx answers is measured since the previous scrape, and held back for 2m',
    async (example) => {
      await statusOf(example); // the first scrape: the baseline
      metrics[example].serve(60, 40);
      const checks = await statusOf(example);
      expect(checks.find(([name]) => name === 'error-rate')).toEqual([
        'error-rate',
        'ok',
        expect.stringMatching(
          /^40 % \(40 of 100\) in the last \d+ s; critical for 0 s \(sustained 2m before it counts\)$/,
        ),
      ]);
      // rank 95 of 100 falls in (2.5, 5], which holds the 40 slow ones: 2.5 + 2.5 * 35/40
      expect(checks.find(([name]) => name === 'p95-latency')).toEqual([
        'p95-latency',
        'ok',
        expect.stringMatching(
          /^p95 4\.69 s from 100 observations in the last \d+ s; warning for 0 s \(sustained 2m before it counts\)$/,
        ),
      ]);
    },
  );

  it.each(EXAMPLES)(
    '%s: a service that never answers is critical within each check’s timeout',
    async (example) => {
      for (const prefix of ['bentham', 'benchcode', 'inference', 'abrm', 'ai-benchmark', 'redmine-rag']) {
        faults.set(prefix, 'hang');
      }
      const checks = await statusOf(example, 300);
      const http = checks.filter((check) => !probesNoHttp(check));
      expect(http.length).toBeGreaterThan(0);
      for (const [name, level, detail] of http) {
        expect([name, level, detail]).toEqual(
          SUSTAINED_2M.includes(name)
            ? [name, 'ok', heldBack('no answer within 300 ms', 'critical')]
            : [name, 'critical', 'no answer within 300 ms'],
        );
      }
      const notHttp = {
        bentham: BENTHAM_DATABASE_AND_REDIS,
        benchcode: [['database', 'ok', '1']],
        'ai-benchmark': AI_BENCHMARK_DATABASE_AND_REDIS,
      };
      expect(checks.filter(probesNoHttp)).toEqual(notHttp[example as keyof typeof notHttp] ?? []);
    },
  );

  const HTML: Record<Example, [string, HealthLevel, string][]> = {
    bentham: [
      ['liveness', 'ok', '200'],
      ['api', 'critical', 'the answer is not JSON'],
    ],
    benchcode: [
      ['laravel', 'ok', '200'],
      ['inference', 'ok', '200'],
    ],
    abrm: [['healthz', 'ok', '200']], // graded by its status alone (the runbook does not show the body)
    'ai-benchmark': [
      ['liveness', 'ok', '200'],
      ['readiness', 'ok', '200'],
      ['p95-latency', 'ok', heldBack('answered text/html, not the Prometheus text format', 'critical')],
      ['error-rate', 'ok', heldBack('answered text/html, not the Prometheus text format', 'critical')],
      ['throughput', 'ok', heldBack('answered text/html, not the Prometheus text format', 'critical')],
      ['active-runs', 'critical', 'answered text/html, not the Prometheus text format'],
    ],
    'redmine-rag': [['healthz', 'critical', 'the answer is not JSON']],
  };

  it.each(EXAMPLES)(
    '%s: an HTML error page is critical where JSON or metrics are expected',
    async (example) => {
      faults.set(example, 'html');
      faults.set('inference', 'html');
      const checks = await statusOf(example);
      expect(checks.filter((check) => !probesNoHttp(check))).toEqual(HTML[example]);
    },
  );

  it.each([
    ['bentham', 'api', 'services.redis is "degraded", expected "healthy"'],
    [
      'redmine-rag',
      'healthz',
      '200, sync_jobs.failed = 12 (critical), checks.name=database.latency_ms = 3, checks.name=database.status = fail (critical), checks.name=llm_runtime.status = warn (warning)',
    ],
  ] as const)('%s: an unhealthy answer makes %s critical: %s', async (example, name, detail) => {
    faults.set(example, 'unhealthy');
    expect((await statusOf(example)).find(([check]) => check === name)).toEqual([name, 'critical', detail]);
  });

  it.each(['ai-benchmark'] as const)(
    '%s: malformed metrics are critical (held back where sustained), naming the line',
    async (example) => {
      faults.set(example, 'malformed');
      const checks = await statusOf(example);
      const detail = 'the metrics are malformed: line 3: the value of label status has no closing quote';
      expect(checks.filter(([name]) => name === 'p95-latency' || name === 'active-runs')).toEqual([
        ['p95-latency', 'ok', heldBack(detail, 'critical')],
        ['active-runs', 'critical', detail],
      ]);
    },
  );
});
