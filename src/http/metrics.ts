import type { Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { HEALTH_LEVELS, type HealthLevel } from '../health/levels.js';
import type { Route } from './route.js';

/** How many runs are in one state, for one action kind. */
export interface RunCount {
  state: string;
  kind: string;
  count: number;
}

/** One BullMQ queue: its jobs by state, and how long its oldest waiting job has waited (0 when none waits). */
export interface QueueStats {
  queue: string;
  jobs: Record<string, number>;
  oldestWaitingSeconds: number;
}

/** Sources the gauges read at scrape time. */
export interface MetricSources {
  /** Action runs by state and kind. */
  runs(): Promise<RunCount[]>;
  /** Each of opsbot's queues. */
  queues(): Promise<QueueStats[]>;
  /** Messages waiting in the Slack outbox, and how long the oldest has waited. */
  slackOutbox(): Promise<{ pending: number; oldestSeconds: number }>;
  /** PagerDuty events still unhandled a while after they arrived: being retried, and given up on. */
  pagerDutyOverdue(): Promise<{ retrying: number; givenUp: number }>;
  /** Each probed service's recorded health level. */
  serviceHealth(): Promise<{ service: string; level: HealthLevel }[]>;
}

/** Bolt's endpoint for Slack's requests in HTTP mode, whose answers are the acks. */
const SLACK_EVENTS_PATH = '/slack/events';

/** The Prometheus metrics of one process. */
export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'opsbot_slack_requests_total',
    help: 'Slack requests handled, by verb and outcome.',
    labelNames: ['verb', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'opsbot_slack_request_duration_seconds',
    help: 'Time from a Slack request to the end of its handling, by verb.',
    labelNames: ['verb'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  /** Time from a Slack request's arrival to opsbot's answer (its ack), in HTTP mode; Slack allows 3 s. */
  readonly slackAcks = new Histogram({
    name: 'opsbot_slack_ack_duration_seconds',
    help: 'Time from a request to POST /slack/events to its answer (the ack), by HTTP status (HTTP mode only).',
    labelNames: ['status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
    registers: [this.registry],
  });
  readonly pagerDutyWebhooks = new Counter({
    name: 'opsbot_pagerduty_webhooks_total',
    help: 'Requests to POST /webhooks/pagerduty, by HTTP status of the answer.',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly outboxSends = new Counter({
    name: 'opsbot_slack_outbox_sends_total',
    help: 'Sends from the Slack outbox by result: sent, rate_limited (a 429), error (tried again later) or failed (never sent).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  constructor(sources: MetricSources) {
    new Gauge({
      name: 'opsbot_runs',
      help: 'Action runs by state and action kind.',
      labelNames: ['state', 'kind'] as const,
      registers: [this.registry],
      async collect() {
        const runs = await sources.runs();
        this.reset();
        for (const { state, kind, count } of runs) this.set({ state, kind }, count);
      },
    });
    // One read of the queues serves both queue gauges of a scrape.
    let queueRead: Promise<QueueStats[]> | undefined;
    const readQueues = () => {
      queueRead ??= sources.queues().finally(() => {
        queueRead = undefined;
      });
      return queueRead;
    };
    new Gauge({
      name: 'opsbot_queue_jobs',
      help: "Jobs in each of opsbot's BullMQ queues by state.",
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        for (const { queue, jobs } of await readQueues()) {
          for (const [state, count] of Object.entries(jobs)) this.set({ queue, state }, count);
        }
      },
    });
    new Gauge({
      name: 'opsbot_queue_oldest_waiting_seconds',
      help: 'How long the oldest job waiting in each queue has waited (0 when none waits).',
      labelNames: ['queue'] as const,
      registers: [this.registry],
      async collect() {
        for (const { queue, oldestWaitingSeconds } of await readQueues())
          this.set({ queue }, oldestWaitingSeconds);
      },
    });
    new Gauge({
      name: 'opsbot_slack_outbox_pending',
      help: 'Messages waiting to be sent to Slack.',
      registers: [this.registry],
      async collect() {
        this.set((await sources.slackOutbox()).pending);
      },
    });
    new Gauge({
      name: 'opsbot_slack_outbox_oldest_pending_seconds',
      help: 'How long the oldest message waiting to be sent to Slack has waited (0 when none waits).',
      registers: [this.registry],
      async collect() {
        this.set((await sources.slackOutbox()).oldestSeconds);
      },
    });
    new Gauge({
      name: 'opsbot_pagerduty_events_overdue',
      help: 'PagerDuty events not handled a minute after they arrived: being retried, or given up on.',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        const overdue = await sources.pagerDutyOverdue();
        this.set({ state: 'retrying' }, overdue.retrying);
        this.set({ state: 'given_up' }, overdue.givenUp);
      },
    });
    new Gauge({
      name: 'opsbot_service_health_level',
      help: `Each probed service's health level: ${HEALTH_LEVELS.map((level, rank) => `${rank} ${level}`).join(', ')}.`,
      labelNames: ['service'] as const,
      registers: [this.registry],
      async collect() {
        const services = await sources.serviceHealth();
        this.reset();
        for (const { service, level } of services) this.set({ service }, HEALTH_LEVELS.indexOf(level));
      },
    });
  }

  /** Times every answer to POST /slack/events that `server` (Bolt's HTTP receiver) sends. */
  observeSlackAcks(server: Server): void {
    server.on('request', (req, res) => {
      if (req.method !== 'POST' || req.url?.split('?')[0] !== SLACK_EVENTS_PATH) return;
      const stop = this.slackAcks.startTimer();
      res.once('finish', () => stop({ status: String(res.statusCode) }));
    });
  }

  /** The PagerDuty webhook route, counting its answers by status. */
  countPagerDutyWebhooks(route: Route): Route {
    return {
      ...route,
      handler: (req, res) => {
        res.once('finish', () => this.pagerDutyWebhooks.inc({ status: String(res.statusCode) }));
        route.handler(req, res);
      },
    };
  }
}
