import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { createPool } from '../../src/db/pool.js';
import { HealthStore } from '../../src/health/health-store.js';
import { Metrics } from '../../src/http/metrics.js';
import { createLogger } from '../../src/log.js';
import { queueStats } from '../../src/queue/queue-stats.js';
import { ACTIONS_QUEUE, addJob, createQueue, PAGERDUTY_QUEUE } from '../../src/queue/queues.js';
import { RunStore } from '../../src/runs/store.js';
import { startDispatcher } from '../../src/slack/transport/outbox/dispatcher.js';
import { slackPostFinder } from '../../src/slack/transport/outbox/find-post.js';
import type { OutboxMessage } from '../../src/slack/transport/outbox/message.js';
import { SlackOutbox } from '../../src/slack/transport/outbox/outbox.js';
import { createOutboxClient, slackSender } from '../../src/slack/transport/outbox/send.js';
import { OutboxSignals } from '../../src/slack/transport/outbox/signals.js';
import { OutboxStore } from '../../src/slack/transport/outbox/store.js';
import { createTestDatabase, eventually } from '../support/databases.js';
import { FakeSlack } from '../support/fake-slack.js';
import { deleteKeys } from '../support/redis-keys.js';
import { BOT_TOKEN, queuePrefix, TEST_REDIS_URL } from '../support/test-env.js';

const log = createLogger('silent');
let database: { url: string; drop(): Promise<void> };
let pool: ReturnType<typeof createPool>;

beforeAll(async () => {
  database = await createTestDatabase('opsbot_metrics');
  pool = createPool(database.url, log, 4);
  await migrate(pool);
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

const noSources = {
  runs: async () => [],
  queues: async () => [],
  slackOutbox: async () => ({ pending: 0, oldestSeconds: 0 }),
  pagerDutyOverdue: async () => ({ retrying: 0, givenUp: 0 }),
  serviceHealth: async () => [],
};

async function samples(metrics: Metrics, name: string): Promise<string[]> {
  return (await metrics.registry.metrics()).split('\n').filter((line) => line.startsWith(`${name}{`));
}

describe("the sources of opsbot's metrics", () => {
  it('counts runs by state and action kind', async () => {
    const insert = (id: string, kind: string, state: string) =>
      pool.query(
        `INSERT INTO action_runs (id, service, action, kind, risk, params, state, requested_by, channel_id)
         VALUES ($1, 'bentham', 'a', $2, 'low', '{}', $3, 'U0ALICE', 'C0OPS')`,
        [id, kind, state],
      );
    await insert('run_metrics0001', 'sql', 'succeeded');
    await insert('run_metrics0002', 'sql', 'succeeded');
    await insert('run_metrics0003', 'k8s.restart', 'queued');
    expect(await new RunStore(pool).countByStateAndKind()).toEqual(
      expect.arrayContaining([
        { state: 'succeeded', kind: 'sql', count: 2 },
        { state: 'queued', kind: 'k8s.restart', count: 1 },
      ]),
    );
  });

  it("reads each service's recorded health level", async () => {
    await pool.query(
      `INSERT INTO service_health (service, level, since, checked_at)
       VALUES ('bentham', 'warning', now(), now()), ('abrm', 'ok', now(), now())`,
    );
    expect(await new HealthStore(pool).levels()).toEqual([
      { service: 'abrm', level: 'ok' },
      { service: 'bentham', level: 'warning' },
    ]);
  });

  it("counts each queue's jobs by state and the age of its oldest waiting job", async () => {
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const prefix = queuePrefix('opsbot_metrics');
    const actions = createQueue(ACTIONS_QUEUE, { connection: redis, prefix, log });
    const pagerDuty = createQueue(PAGERDUTY_QUEUE, { connection: redis, prefix, log });
    try {
      const minuteAgo = Date.now() - 60_000;
      await addJob(actions, 'run', { runId: 'run_0000000000a1' }, { jobId: 'a1', timestamp: minuteAgo });
      await addJob(actions, 'run', { runId: 'run_0000000000a2' }, { jobId: 'a2' });
      await addJob(actions, 'run', { runId: 'run_0000000000a3' }, { jobId: 'a3', delay: 3_600_000 });
      const [actionStats, pagerDutyStats] = await queueStats([actions, pagerDuty]);
      expect(actionStats).toMatchObject({
        queue: 'ops-actions',
        jobs: { waiting: 2, delayed: 1, active: 0 },
      });
      // The job added a minute ago is the oldest waiting; the delayed one is not waiting yet.
      expect(actionStats?.oldestWaitingSeconds).toBeGreaterThanOrEqual(60);
      expect(actionStats?.oldestWaitingSeconds).toBeLessThan(600);
      expect(pagerDutyStats).toEqual({
        queue: 'pagerduty-events',
        jobs: { waiting: 0, active: 0, delayed: 0, failed: 0 },
        oldestWaitingSeconds: 0,
      });
    } finally {
      await actions.close();
      await pagerDuty.close();
      redis.disconnect();
      await deleteKeys(prefix);
    }
  });

  it('counts the Slack outbox sends by result: sent, rate limited (429), error and failed', async () => {
    const slack = await new FakeSlack().start();
    const signals = new OutboxSignals(database.url, log);
    await signals.start();
    const metrics = new Metrics(noSources);
    const client = createOutboxClient({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: slack.apiUrl }, log);
    const dispatcher = startDispatcher({
      store: new OutboxStore(pool),
      signals,
      send: slackSender(client),
      findPost: slackPostFinder(client),
      log,
      tuning: { postSpacingMs: 0, retryBaseMs: 50, retryCapMs: 200, pollMs: 50 },
      onSend: (result) => metrics.outboxSends.inc({ result }),
    });
    try {
      slack.script('chat.postMessage', [{ status: 429, retryAfter: 1 }], (args) => args.text === 'limited');
      slack.script('chat.postMessage', [{ status: 503 }], (args) => args.text === 'flaky');
      slack.script('chat.postMessage', [{ error: 'channel_not_found' }], (args) => args.text === 'refused');
      const outbox = new SlackOutbox({ store: new OutboxStore(pool), signals });
      const post = (channel: string, text: string) =>
        ({ kind: 'post', channel, content: { text } }) as OutboxMessage;
      await outbox.enqueue(post('C0ONE', 'limited'));
      await outbox.enqueue(post('C0TWO', 'flaky'));
      await outbox.enqueue(post('C0GONE', 'refused'));
      await eventually(async () => {
        const { rows } = await pool.query(
          "SELECT count(*)::int AS n FROM slack_outbox WHERE state = 'pending'",
        );
        expect(rows[0].n).toBe(0);
      }, 20_000);
      expect(await samples(metrics, 'opsbot_slack_outbox_sends_total')).toEqual(
        expect.arrayContaining([
          'opsbot_slack_outbox_sends_total{result="rate_limited"} 1',
          'opsbot_slack_outbox_sends_total{result="error"} 1',
          'opsbot_slack_outbox_sends_total{result="failed"} 1',
          'opsbot_slack_outbox_sends_total{result="sent"} 2',
        ]),
      );
    } finally {
      await dispatcher.stop();
      await signals.stop();
      await slack.stop();
    }
  });
});
