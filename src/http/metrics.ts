import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Sources the gauges read at scrape time. */
export interface MetricSources {
  runsByState(): Promise<Record<string, number>>;
  queueDepth(): Promise<Record<string, number>>;
  /** Messages waiting in the Slack outbox, and how long the oldest has waited. */
  slackOutbox(): Promise<{ pending: number; oldestSeconds: number }>;
  /** PagerDuty events still unhandled a while after they arrived: being retried, and given up on. */
  pagerDutyOverdue(): Promise<{ retrying: number; givenUp: number }>;
}

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

  constructor(sources: MetricSources) {
    new Gauge({
      name: 'opsbot_runs',
      help: 'Action runs by state.',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [state, count] of Object.entries(await sources.runsByState())) this.set({ state }, count);
      },
    });
    new Gauge({
      name: 'opsbot_queue_jobs',
      help: 'Jobs in the ops-actions queue by BullMQ state.',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        for (const [state, count] of Object.entries(await sources.queueDepth())) this.set({ state }, count);
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
  }
}
