import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Metrics } from '../../../src/http/metrics.js';
import { operationalRoutes, serveRoutes } from '../../../src/http/routes.js';

const Target = z.object({ refId: z.string(), expr: z.string().min(1), legendFormat: z.string() });
const Panel = z.object({
  id: z.number().int(),
  type: z.string(),
  title: z.string().min(1),
  gridPos: z.object({ h: z.number(), w: z.number(), x: z.number(), y: z.number() }),
  datasource: z.object({ type: z.literal('prometheus'), uid: z.literal('${datasource}') }).optional(),
  description: z.string().optional(),
  targets: z.array(Target).optional(),
});
const Dashboard = z.object({
  title: z.string(),
  uid: z.string(),
  schemaVersion: z.number(),
  templating: z.object({ list: z.array(z.object({ name: z.string(), type: z.string() })) }),
  panels: z.array(Panel),
});

const dashboard = Dashboard.parse(
  JSON.parse(await readFile(join(import.meta.dirname, '../../../deploy/grafana/opsbot.json'), 'utf8')),
);
const queries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));

/** Labels Prometheus adds when it scrapes (the ServiceMonitor's target labels), and histograms' `le`. */
const ADDED_LABELS = ['namespace', 'le'];

const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
});

/** `/metrics` of a real Metrics, as Prometheus reads it: each metric's type by name. */
async function exported(metrics: Metrics): Promise<Map<string, string>> {
  const server = await serveRoutes(operationalRoutes(metrics, {}), 0);
  servers.push(server);
  const text = await (
    await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`)
  ).text();
  return new Map(
    [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => [match[1] ?? '', match[2] ?? '']),
  );
}

describe('deploy/grafana/opsbot.json', () => {
  const metrics = new Metrics({
    runs: async () => [{ state: 'queued', kind: 'sql', count: 1 }],
    queues: async () => [{ queue: 'ops-actions', jobs: { waiting: 1 }, oldestWaitingSeconds: 3 }],
    slackOutbox: async () => ({ pending: 0, oldestSeconds: 0 }),
    pagerDutyOverdue: async () => ({ retrying: 0, givenUp: 0 }),
    serviceHealth: async () => [{ service: 'bentham', level: 'ok' }],
  });

  it('is a dashboard whose panels each have a place and query the chosen Prometheus', () => {
    expect(dashboard.uid).toBe('opsbot');
    expect(dashboard.templating.list.map((v) => [v.name, v.type])).toContainEqual([
      'datasource',
      'datasource',
    ]);
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
      if (panel.type !== 'row') expect(panel.datasource, panel.title).toBeDefined();
    }
    expect(queries.length).toBeGreaterThanOrEqual(15);
  });

  it('covers requests and acks, runs, queues, the Slack outbox and 429s, PagerDuty and health levels', () => {
    const all = queries.join('\n');
    for (const name of [
      'opsbot_slack_requests_total',
      'opsbot_slack_ack_duration_seconds_bucket',
      'opsbot_runs',
      'opsbot_queue_jobs',
      'opsbot_queue_oldest_waiting_seconds',
      'opsbot_slack_outbox_pending',
      'result="rate_limited"',
      'opsbot_pagerduty_webhooks_total',
      'opsbot_pagerduty_events_overdue',
      'opsbot_service_health_level',
    ]) {
      expect(all).toContain(name);
    }
  });

  it("writes every query in PromQL that Prometheus's own grammar parses", () => {
    for (const expr of queries) {
      // Grafana's variables, as Grafana substitutes them before Prometheus sees the query.
      const promql = expr.replaceAll('$__rate_interval', '2m').replaceAll('$namespace', '.*');
      const errors: number[] = [];
      parser.parse(promql).iterate({
        enter: (node) => {
          if (node.type.isError) errors.push(node.from);
        },
      });
      expect(errors, promql).toEqual([]);
    }
  });

  it('queries only metrics that /metrics exports, with labels they have', async () => {
    const types = await exported(metrics);
    /** The metric a sample name belongs to: a histogram's _bucket, _sum and _count are its own. */
    const metricOf = (sample: string) => {
      const base = sample.replace(/_(bucket|sum|count)$/, '');
      if (base !== sample && types.get(base) === 'histogram') return base;
      return types.has(sample) ? sample : undefined;
    };
    for (const expr of queries) {
      const names = [...new Set(expr.match(/\bopsbot_[a-z0-9_]+/g) ?? [])];
      expect(names.length, expr).toBeGreaterThan(0);
      const labels = new Set(ADDED_LABELS);
      for (const name of names) {
        const metric = metricOf(name);
        expect(metric, `${name} is not on /metrics`).toBeDefined();
        const labelNames = (
          metrics.registry.getSingleMetric(metric ?? '') as { labelNames?: string[] } | undefined
        )?.labelNames;
        for (const label of labelNames ?? []) labels.add(label);
      }
      const used = [
        ...[...expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((m) =>
          (m[1] ?? '').split(',').map((s) => s.trim()),
        ),
        ...[...expr.matchAll(/([a-z_]+)\s*(?:=~|!=|!~|=)\s*"/g)].map((m) => m[1] ?? ''),
      ].filter(Boolean);
      for (const label of used) expect([...labels], `${label} in ${expr}`).toContain(label);
    }
  });
});
