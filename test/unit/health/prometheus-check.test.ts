import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type PrometheusHealthCheckConfig,
  runPrometheusCheck,
} from '../../../src/health/checks/prometheus.js';
import type { CounterWindowStore } from '../../../src/health/counter-windows.js';
import { CounterWindows } from '../../support/memory-counter-windows.js';

/** A service's own metrics, served by the fake `/metrics` below as prom-client renders them. */
const registry = new Registry();
const requests = new Counter({
  name: 'http_requests_total',
  help: 'Requests',
  labelNames: ['status'],
  registers: [registry],
});
const depth = new Gauge({
  name: 'queue_depth',
  help: 'Jobs waiting',
  labelNames: ['queue'],
  registers: [registry],
});
const connections = new Gauge({
  name: 'db_connections',
  help: 'Pool connections by state',
  labelNames: ['state'],
  registers: [registry],
});
const duration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'Latency',
  labelNames: ['route'],
  buckets: [0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

/** `/metrics` answers the registry; other paths fail the way real endpoints do. */
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.url === '/metrics') {
      void registry.metrics().then((text) => send(200, registry.contentType, text));
    } else if (req.url === '/unavailable') send(503, 'text/plain', 'draining');
    else if (req.url === '/moved') {
      res.writeHead(302, { location: '/metrics' });
      res.end();
    } else if (req.url === '/json') send(200, 'application/json', '{"status":"ok"}');
    else if (req.url === '/binary') send(200, 'text/plain', Buffer.from([0x1f, 0x8b, 0x08, 0xff, 0xfe]));
    else if (req.url === '/malformed') send(200, 'text/plain', 'up 1\n# TYPE x gauge\nx{a="1} 2\n');
    else if (req.url === '/huge') send(200, 'text/plain', '# padding\n'.repeat(1_100_000));
    // /hang: never answers
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => registry.resetMetrics());

type Measure = Pick<PrometheusHealthCheckConfig, 'value' | 'ratio' | 'quantile' | 'warning' | 'critical'>;

/** Runs a check against the fake service with its own windows (minimum window 0: every scrape counts). */
function check(
  measure: Measure,
  path = '/metrics',
  windows: CounterWindowStore = new CounterWindows({ minWindowMs: 0 }),
  timeout = 2000,
) {
  return runPrometheusCheck({ name: 'm', metrics: `${base}${path}`, timeout, ...measure }, windows);
}

const ERROR_RATE: Measure = {
  ratio: {
    of: { metric: 'http_requests_total', labels: { status: '5..' } },
    to: { metric: 'http_requests_total', labels: {} },
  },
  warning: { above: 0.01 },
  critical: { above: 0.1 },
};
const P95: Measure = {
  quantile: { histogram: 'http_request_duration_seconds', q: 0.95, labels: {} },
  warning: { above: 0.5 },
  critical: { above: 1 },
};

describe('a prometheus value check', () => {
  const queueDepth = (labels: Record<string, string> = {}): Measure => ({
    value: { metric: 'queue_depth', labels },
    warning: { above: 100 },
    critical: { above: 1000 },
  });

  it('grades a gauge, summed over the matching series, against its levels', async () => {
    depth.set({ queue: 'default' }, 40);
    depth.set({ queue: 'imports' }, 30);
    expect(await check(queueDepth())).toMatchObject({
      name: 'm',
      level: 'ok',
      detail: 'queue_depth 70 (sum of 2 series)',
    });
    depth.set({ queue: 'imports' }, 3000);
    expect(await check(queueDepth({ queue: 'imp.*' }))).toMatchObject({
      level: 'critical',
      detail: 'queue_depth{queue=~"imp.*"} 3,000',
    });
    depth.set({ queue: 'imports' }, 300);
    expect((await check(queueDepth())).level).toBe('warning');
  });

  it('is critical when the metric is missing or no series matches, saying which', async () => {
    depth.set({ queue: 'default' }, 1);
    expect(await check({ value: { metric: 'nope', labels: {} } })).toMatchObject({
      level: 'critical',
      detail: 'the metrics have no nope',
    });
    expect(await check(queueDepth({ queue: 'mail' }))).toMatchObject({
      level: 'critical',
      detail: 'no series matches queue_depth{queue=~"mail"}',
    });
  });
});

describe('a prometheus ratio check', () => {
  it('uses the totals on the first scrape and says so', async () => {
    requests.inc({ status: '200' }, 999);
    requests.inc({ status: '503' }, 1);
    expect(await check(ERROR_RATE)).toMatchObject({
      level: 'ok',
      detail: '0.1 % (1 of 1,000) since the counters started (first scrape)',
    });
  });

  it('then covers only what was counted since the previous scrape', async () => {
    const windows = new CounterWindows({ minWindowMs: 0 });
    requests.inc({ status: '200' }, 10_000);
    requests.inc({ status: '500' }, 5);
    expect((await check(ERROR_RATE, '/metrics', windows)).level).toBe('ok');
    requests.inc({ status: '200' }, 80);
    requests.inc({ status: '502' }, 20);
    const second = await check(ERROR_RATE, '/metrics', windows);
    expect(second.level).toBe('critical');
    expect(second.detail).toMatch(/^20 % \(20 of 100\) in the last \d+ s$/);
  });

  it('counts a missing 5xx series as no errors; no series at all is critical, a zero total a warning', async () => {
    expect(await check(ERROR_RATE)).toMatchObject({
      level: 'critical',
      detail: 'no series matches http_requests_total',
    });
    requests.inc({ status: '200' }, 3);
    expect(await check(ERROR_RATE)).toMatchObject({
      level: 'ok',
      detail: expect.stringMatching(/^0 % \(0 of 3\)/),
    });
    registry.resetMetrics();
    requests.inc({ status: '200' }, 0);
    expect(await check(ERROR_RATE)).toMatchObject({
      level: 'warning',
      detail: 'http_requests_total has counted nothing yet, so there is no ratio',
    });
  });

  it('falls back to the totals, saying why, when the target restarted between scrapes', async () => {
    const windows = new CounterWindows({ minWindowMs: 0 });
    requests.inc({ status: '200' }, 500);
    await check(ERROR_RATE, '/metrics', windows);
    registry.resetMetrics();
    requests.inc({ status: '200' }, 9);
    requests.inc({ status: '500' }, 1);
    expect(await check(ERROR_RATE, '/metrics', windows)).toMatchObject({
      level: 'warning',
      detail: '10 % (1 of 10) since the counters started (the counters were reset since the previous scrape)',
    });
  });

  it('grades the totals, saying why, when the earlier scrapes cannot be read', async () => {
    requests.inc({ status: '200' }, 99);
    requests.inc({ status: '500' }, 1);
    const unreachable: CounterWindowStore = {
      since: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')),
    };
    expect(await check(ERROR_RATE, '/metrics', unreachable)).toMatchObject({
      level: 'ok',
      detail:
        '1 % (1 of 100) since the counters started (the earlier scrapes could not be read: connect ECONNREFUSED 127.0.0.1:5432)',
    });
  });

  it('takes a ratio of gauges as it is now, not over a window', async () => {
    const windows = new CounterWindows({ minWindowMs: 0 });
    connections.set({ state: 'active' }, 45);
    connections.set({ state: 'idle' }, 5);
    const busy: Measure = {
      ratio: {
        of: { metric: 'db_connections', labels: { state: 'active' } },
        to: { metric: 'db_connections', labels: {} },
      },
      warning: { above: 0.8 },
    };
    expect(await check(busy, '/metrics', windows)).toMatchObject({
      level: 'warning',
      detail: '90 % (45 of 50) now',
    });
    connections.set({ state: 'active' }, 10);
    expect(await check(busy, '/metrics', windows)).toMatchObject({
      level: 'ok',
      detail: '66.7 % (10 of 15) now',
    });
  });
});

describe('a prometheus quantile check', () => {
  it('computes p95 from the buckets summed over every route, interpolating inside the bucket', async () => {
    for (let i = 0; i < 90; i++) duration.observe({ route: '/a' }, 0.05);
    for (let i = 0; i < 10; i++) duration.observe({ route: '/b' }, 0.3);
    // rank 95 falls in (0.25, 0.5], which holds 10: 0.25 + 0.25 * 5/10
    expect(await check(P95)).toMatchObject({
      level: 'ok',
      detail: 'p95 0.375 s from 100 observations since the counters started (first scrape)',
    });
  });

  it('over the increase since the previous scrape, so a fresh slowdown shows', async () => {
    const windows = new CounterWindows({ minWindowMs: 0 });
    for (let i = 0; i < 10_000; i++) duration.observe({ route: '/a' }, 0.05);
    expect((await check(P95, '/metrics', windows)).detail).toMatch(/^p95 0\.0\d+ s/);
    for (let i = 0; i < 100; i++) duration.observe({ route: '/a' }, 0.8);
    const slow = await check(P95, '/metrics', windows); // rank 95 of 100 in (0.5, 1]: 0.5 + 0.5 * 95/100
    expect(slow.level).toBe('warning');
    expect(slow.detail).toMatch(/^p95 0\.975 s from 100 observations in the last \d+ s$/);
  });

  it('says when the quantile is beyond the largest bucket', async () => {
    duration.observe({ route: '/a' }, 30);
    expect(await check(P95)).toMatchObject({
      level: 'critical',
      detail:
        'p95 above 2.5 s (the largest bucket) from 1 observation since the counters started (first scrape)',
    });
  });

  it('refuses a metric that is not a histogram, and warns when nothing was observed', async () => {
    expect(await check({ quantile: { histogram: 'queue_depth', q: 0.5, labels: {} } })).toMatchObject({
      level: 'critical',
      detail: 'queue_depth is a gauge, not a histogram',
    });
    duration.zero({ route: '/a' });
    expect(await check(P95)).toMatchObject({
      level: 'warning',
      detail: 'http_request_duration_seconds has no observations yet, so no p95',
    });
  });
});

describe('a prometheus check whose endpoint misbehaves', () => {
  it.each([
    ['/unavailable', 'answered 503, expected 200'],
    ['/moved', 'answered 302, expected 200'],
    ['/json', 'answered application/json, not the Prometheus text format'],
    ['/binary', 'the answer is not UTF-8 text'],
    ['/malformed', 'the metrics are malformed: line 3: the value of label a has no closing quote'],
    ['/huge', 'the metrics are larger than 10 MB'],
  ])('%s is critical: %s', async (path, detail) => {
    expect(await check(ERROR_RATE, path)).toMatchObject({ level: 'critical', detail });
  });

  it('is critical when the endpoint does not answer within the timeout', async () => {
    const result = await check({ ...P95 }, '/hang', undefined, 100);
    expect(result).toMatchObject({ level: 'critical', detail: 'no answer within 100 ms' });
  });

  it('is critical, not a throw, when nothing listens', async () => {
    const result = await runPrometheusCheck(
      { name: 'm', metrics: 'http://127.0.0.1:1/metrics', timeout: 1000, ...P95 },
      new CounterWindows(),
    );
    expect(result.level).toBe('critical');
    expect(result.detail).toMatch(/fetch failed|ECONNREFUSED/);
  });
});
