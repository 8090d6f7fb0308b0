import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  PrometheusCheckSchema,
  type PrometheusHealthCheckConfig,
  runPrometheusCheck,
} from '../../../src/health/checks/prometheus.js';
import type { CounterWindowStore } from '../../../src/health/counter-windows.js';
import { CounterWindows } from '../../support/memory-counter-windows.js';

/**
 * AI Benchmark's metrics as runbook 003 shows them at /metrics: benchmark_requests_total by endpoint, method
 * and status, and the benchmark_response_time_seconds histogram (the runbook shows its le="0.1" bucket and no
 * others; the rest of the bounds here are prom-client's defaults, as the runbook is silent on them).
 */
const registry = new Registry();
const requests = new Counter({
  name: 'benchmark_requests_total',
  help: 'Benchmark API requests',
  labelNames: ['endpoint', 'method', 'status'],
  registers: [registry],
});
const responseTime = new Histogram({
  name: 'benchmark_response_time_seconds',
  help: 'Benchmark API response time',
  registers: [registry],
});
const activeRuns = new Gauge({
  name: 'benchmark_active_runs',
  help: 'Runs in progress',
  registers: [registry],
});
const RUN = { endpoint: '/api/benchmark/run', method: 'POST' };

let server: Server;
let metrics: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    void registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  metrics = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => registry.resetMetrics());

type Measure = Pick<
  PrometheusHealthCheckConfig,
  'value' | 'ratio' | 'quantile' | 'rate' | 'warning' | 'critical'
>;

/** Scrapes the fake service at the times (ms) it is called with, under the real window rules (about a minute). */
function scraper(measure: Measure) {
  let now = 0;
  const windows: CounterWindowStore = new CounterWindows({}, () => now);
  return (at: number) => {
    now = at;
    return runPrometheusCheck({ name: 'throughput', metrics, timeout: 2000, ...measure }, windows);
  };
}

/** The runbook's throughput alert: fewer than 10 requests per second. */
const THROUGHPUT: Measure = {
  rate: { metric: 'benchmark_requests_total', labels: {} },
  warning: { below: 10 },
};

describe('a prometheus rate check', () => {
  it('measures requests per second between two scrapes and grades a throughput below the runbook’s 10 rps', async () => {
    const scrape = scraper(THROUGHPUT);
    requests.inc({ ...RUN, status: '200' }, 1000);
    expect(await scrape(0)).toMatchObject({
      level: 'ok',
      detail: 'no rate of benchmark_requests_total yet (first scrape); the next scrape measures it',
    });
    requests.inc({ ...RUN, status: '200' }, 750);
    requests.inc({ ...RUN, status: '500' }, 50);
    expect(await scrape(64_000)).toMatchObject({
      level: 'ok',
      detail: 'benchmark_requests_total 12.5 req/s over the last 64 s',
    });
    requests.inc({ ...RUN, status: '200' }, 300); // 300 in the minute since the scrape at 64 s
    expect(await scrape(124_000)).toMatchObject({
      level: 'warning',
      detail: 'benchmark_requests_total 5 req/s over the last 60 s',
    });
  });

  it('measures no rate over a window of moments (a second scrape right after the first)', async () => {
    const scrape = scraper(THROUGHPUT);
    requests.inc({ ...RUN, status: '200' }, 1000);
    await scrape(0);
    requests.inc({ ...RUN, status: '200' }, 1);
    expect(await scrape(400)).toMatchObject({
      level: 'ok',
      detail:
        'no rate of benchmark_requests_total yet (the earliest scrape kept is less than a second old); a later scrape measures it',
    });
    requests.inc({ ...RUN, status: '200' }, 299);
    expect(await scrape(30_000)).toMatchObject({
      level: 'ok',
      detail: 'benchmark_requests_total 10 req/s over the last 30 s',
    });
  });

  it('reads no requests at all as 0 req/s, the worst throughput, not as no rate', async () => {
    const scrape = scraper({ ...THROUGHPUT, critical: { below: 1 } });
    requests.inc({ ...RUN, status: '200' }, 10);
    await scrape(0);
    expect(await scrape(60_000)).toMatchObject({
      level: 'critical',
      detail: 'benchmark_requests_total 0 req/s over the last 60 s',
    });
  });

  it('rates only the matching series, and a labelled counter with no series yet as none counted', async () => {
    const scrape = scraper({
      rate: { metric: 'benchmark_requests_total', labels: { status: '5..' } },
      critical: { above: 0.5 },
    });
    requests.inc({ ...RUN, status: '200' }, 100);
    await scrape(0);
    requests.inc({ ...RUN, status: '200' }, 100);
    requests.inc({ ...RUN, status: '503' }, 60);
    expect(await scrape(60_000)).toMatchObject({
      level: 'critical',
      detail: 'benchmark_requests_total{status=~"5.."} 1 req/s over the last 60 s',
    });
  });

  it('says there is no rate after a restart reset the counter, and measures again from the next scrape', async () => {
    const scrape = scraper(THROUGHPUT);
    requests.inc({ ...RUN, status: '200' }, 5000);
    await scrape(0);
    registry.resetMetrics();
    requests.inc({ ...RUN, status: '200' }, 20);
    expect(await scrape(60_000)).toMatchObject({
      level: 'ok',
      detail:
        'no rate of benchmark_requests_total yet (the counters were reset since the previous scrape); the next scrape measures it',
    });
    requests.inc({ ...RUN, status: '200' }, 1200);
    expect(await scrape(120_000)).toMatchObject({
      level: 'ok',
      detail: expect.stringMatching(/^\S+ 20 req\/s/),
    });
  });

  it('refuses a gauge, a missing metric, and a store it cannot read, each in one sentence', async () => {
    activeRuns.set(3);
    expect(await scraper({ rate: { metric: 'benchmark_active_runs', labels: {} } })(0)).toMatchObject({
      level: 'critical',
      detail: 'benchmark_active_runs is a gauge, not a counter, so no rate',
    });
    expect(await scraper({ rate: { metric: 'http_requests_total', labels: {} } })(0)).toMatchObject({
      level: 'critical',
      detail: 'the metrics have no http_requests_total',
    });
    const unreadable: CounterWindowStore = { since: () => Promise.reject(new Error('connection refused')) };
    const check = { name: 'throughput', metrics, timeout: 2000, ...THROUGHPUT };
    expect(await runPrometheusCheck(check, unreadable)).toMatchObject({
      level: 'warning',
      detail:
        'no rate of benchmark_requests_total: the earlier scrapes could not be read: connection refused',
    });
  });

  it('is one of value, ratio, quantile or rate in ops.yml', () => {
    const base = { type: 'prometheus', name: 'throughput', metrics };
    const rate = { metric: 'benchmark_requests_total' };
    expect(PrometheusCheckSchema.parse({ ...base, rate, warning: { below: 10 } }).rate).toEqual({
      ...rate,
      labels: {},
    });
    const both = PrometheusCheckSchema.safeParse({ ...base, rate, value: rate });
    expect(both.error?.issues.map((issue) => issue.message)).toEqual([
      'needs exactly one of value, ratio, quantile or rate',
    ]);
  });
});

describe('runbook 003’s error rate and p95 on its own metric names', () => {
  it('grades 5xx of all benchmark_requests_total by the status label over the window', async () => {
    const scrape = scraper({
      ratio: {
        of: { metric: 'benchmark_requests_total', labels: { status: '5..' } },
        to: { metric: 'benchmark_requests_total', labels: {} },
      },
      critical: { above: 0.01 },
    });
    requests.inc({ ...RUN, status: '200' }, 1000);
    await scrape(0);
    requests.inc({ ...RUN, status: '200' }, 970);
    requests.inc({ ...RUN, status: '500' }, 30);
    expect(await scrape(60_000)).toMatchObject({
      level: 'critical',
      detail: '3 % (30 of 1,000) in the last 60 s',
    });
  });

  it('grades the p95 of benchmark_response_time_seconds over the window', async () => {
    const scrape = scraper({
      quantile: { histogram: 'benchmark_response_time_seconds', q: 0.95, labels: {} },
      warning: { above: 2 },
    });
    for (let i = 0; i < 100; i++) responseTime.observe(0.05);
    await scrape(0);
    for (let i = 0; i < 100; i++) responseTime.observe(i < 90 ? 0.08 : 4);
    const p95 = await scrape(60_000);
    expect(p95).toMatchObject({ level: 'warning' });
    expect(p95.detail).toMatch(/^p95 \S+ s from 100 observations in the last 60 s$/);
  });
});
