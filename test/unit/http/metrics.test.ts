import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type MetricSources, Metrics, type QueueStats, type RunCount } from '../../../src/http/metrics.js';
import { operationalRoutes, serveRoutes } from '../../../src/http/routes.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

function sources(overrides: Partial<MetricSources> = {}): MetricSources {
  return {
    runs: async () => [],
    queues: async () => [],
    slackOutbox: async () => ({ pending: 0, oldestSeconds: 0 }),
    pagerDutyOverdue: async () => ({ retrying: 0, givenUp: 0 }),
    serviceHealth: async () => [],
    ...overrides,
  };
}

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** GET /metrics as Prometheus would: the sample lines (no comments). */
async function scrape(metrics: Metrics): Promise<string[]> {
  const server = await serveRoutes(operationalRoutes(metrics, {}), 0);
  servers.push(server);
  const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return (await response.text()).split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

describe('/metrics', () => {
  it('counts runs by state and kind, and forgets a pair that has no runs any more', async () => {
    let runs: RunCount[] = [
      { state: 'queued', kind: 'sql', count: 2 },
      { state: 'succeeded', kind: 'k8s.restart', count: 5 },
    ];
    const metrics = new Metrics(sources({ runs: async () => runs }));
    expect(await scrape(metrics)).toEqual(
      expect.arrayContaining([
        'opsbot_runs{state="queued",kind="sql"} 2',
        'opsbot_runs{state="succeeded",kind="k8s.restart"} 5',
      ]),
    );
    runs = [{ state: 'succeeded', kind: 'k8s.restart', count: 6 }];
    const lines = await scrape(metrics);
    expect(lines).toContain('opsbot_runs{state="succeeded",kind="k8s.restart"} 6');
    expect(lines.filter((line) => line.startsWith('opsbot_runs{'))).toHaveLength(1);
  });

  it('reports each queue by state and the age of its oldest waiting job, reading the queues once a scrape', async () => {
    let reads = 0;
    const queues: QueueStats[] = [
      {
        queue: 'ops-actions',
        jobs: { waiting: 3, active: 1, delayed: 0, failed: 0 },
        oldestWaitingSeconds: 42.5,
      },
      {
        queue: 'pagerduty-events',
        jobs: { waiting: 0, active: 0, delayed: 0, failed: 2 },
        oldestWaitingSeconds: 0,
      },
    ];
    const metrics = new Metrics(
      sources({
        queues: async () => {
          reads += 1;
          return queues;
        },
      }),
    );
    const lines = await scrape(metrics);
    expect(lines).toEqual(
      expect.arrayContaining([
        'opsbot_queue_jobs{queue="ops-actions",state="waiting"} 3',
        'opsbot_queue_jobs{queue="ops-actions",state="active"} 1',
        'opsbot_queue_jobs{queue="pagerduty-events",state="failed"} 2',
        'opsbot_queue_oldest_waiting_seconds{queue="ops-actions"} 42.5',
        'opsbot_queue_oldest_waiting_seconds{queue="pagerduty-events"} 0',
      ]),
    );
    expect(reads).toBe(1);
  });

  it('gives each probed service its health level as 0 ok, 1 warning, 2 critical', async () => {
    const metrics = new Metrics(
      sources({
        serviceHealth: async () => [
          { service: 'bentham', level: 'ok' },
          { service: 'benchcode', level: 'warning' },
          { service: 'abrm', level: 'critical' },
        ],
      }),
    );
    expect(await scrape(metrics)).toEqual(
      expect.arrayContaining([
        'opsbot_service_health_level{service="bentham"} 0',
        'opsbot_service_health_level{service="benchcode"} 1',
        'opsbot_service_health_level{service="abrm"} 2',
      ]),
    );
  });

  it('times the answers to POST /slack/events by status, and nothing else the server answers', async () => {
    const metrics = new Metrics(sources());
    const server = createServer((req, res) => {
      // Like Bolt's receiver: it answers once the listener has acked.
      setTimeout(() => {
        res.writeHead(req.url?.startsWith('/slack/events') ? 200 : 404);
        res.end();
      }, 20);
    });
    metrics.observeSlackAcks(server);
    const base = await listen(server);
    await fetch(`${base}/slack/events`, { method: 'POST', body: 'command=%2Fops' });
    await fetch(`${base}/slack/events?ssl_check=1`, { method: 'POST', body: '' });
    await fetch(`${base}/healthz`);
    const lines = await scrape(metrics);
    expect(lines).toContain('opsbot_slack_ack_duration_seconds_count{status="200"} 2');
    expect(lines).toContain('opsbot_slack_ack_duration_seconds_bucket{le="0.01",status="200"} 0');
    expect(lines.filter((line) => line.includes('status="404"'))).toEqual([]);
  });

  it('counts PagerDuty webhooks by the status opsbot answered', async () => {
    const metrics = new Metrics(sources());
    const route = metrics.countPagerDutyWebhooks({
      path: '/webhooks/pagerduty',
      method: 'POST',
      handler: (req, res) => {
        res.writeHead(req.headers['x-pagerduty-signature'] ? 202 : 401);
        res.end();
      },
    });
    expect(route.path).toBe('/webhooks/pagerduty');
    const server = await serveRoutes([route], 0);
    servers.push(server);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/pagerduty`;
    for (const signature of ['v1=a', 'v1=b', undefined]) {
      await fetch(url, {
        method: 'POST',
        body: '{}',
        headers: signature ? { 'x-pagerduty-signature': signature } : {},
      });
    }
    expect(await scrape(metrics)).toEqual(
      expect.arrayContaining([
        'opsbot_pagerduty_webhooks_total{status="202"} 2',
        'opsbot_pagerduty_webhooks_total{status="401"} 1',
      ]),
    );
  });
});
