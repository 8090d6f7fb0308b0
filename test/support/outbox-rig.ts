import type { WebClient } from '@slack/web-api';
import type pg from 'pg';
import { afterEach, beforeEach, expect } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { createPool } from '../../src/db/pool.js';
import { createLogger } from '../../src/log.js';
import {
  type Dispatcher,
  type DispatchTuning,
  startDispatcher,
} from '../../src/slack/transport/outbox/dispatcher.js';
import { slackPostFinder } from '../../src/slack/transport/outbox/find-post.js';
import type { OutboxMessage } from '../../src/slack/transport/outbox/message.js';
import { SlackOutbox } from '../../src/slack/transport/outbox/outbox.js';
import { createOutboxClient, type SendMessage, slackSender } from '../../src/slack/transport/outbox/send.js';
import { OutboxSignals } from '../../src/slack/transport/outbox/signals.js';
import { OutboxStore } from '../../src/slack/transport/outbox/store.js';
import { collectInto } from './collect.js';
import { createTestDatabase, eventually } from './databases.js';
import { FakeSlack, type SlackCall } from './fake-slack.js';
import { BOT_TOKEN } from './test-env.js';

/** Short waits, so that retries happen within a test; pacing off unless a test turns it on. */
const FAST: Partial<DispatchTuning> = { postSpacingMs: 0, retryBaseMs: 50, retryCapMs: 200, pollMs: 50 };

/** A message to post in `channel`. */
export const post = (channel: string, text: string, more: Partial<OutboxMessage> = {}): OutboxMessage =>
  ({ kind: 'post', channel, content: { text }, ...more }) as OutboxMessage;

/**
 * The Slack outbox's test rig, fresh for each test of the file that calls it: a fake Slack, a database of its
 * own, dispatchers and outboxes each on a pool of its own (each stands for an opsbot process), and their logs.
 */
export function outboxRig() {
  let slack: FakeSlack;
  let database: { url: string; drop(): Promise<void> };
  let pools: pg.Pool[];
  let closers: (() => Promise<void>)[];
  const logs: string[] = [];

  beforeEach(async () => {
    slack = await new FakeSlack().start();
    database = await createTestDatabase('opsbot_outbox');
    pools = [];
    closers = [];
    logs.length = 0;
    await migrate(pool());
  });

  afterEach(async () => {
    for (const close of closers.reverse()) await close();
    for (const each of pools) await each.end();
    await database.drop();
    await slack.stop();
  });

  const log = createLogger('info', collectInto(logs));

  /** A pool of its own: each one stands for an opsbot process. */
  function pool(): pg.Pool {
    const created = createPool(database.url, log, 4);
    pools.push(created);
    return created;
  }

  function client(): WebClient {
    return createOutboxClient({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: slack.apiUrl }, log);
  }

  function sender(): SendMessage {
    return slackSender(client());
  }

  /** One dispatching process: its own pool, notifications and Slack client. */
  async function dispatcher(tuning: Partial<DispatchTuning> = {}, send = sender()): Promise<Dispatcher> {
    const signals = new OutboxSignals(database.url, log);
    await signals.start();
    const started = startDispatcher({
      store: new OutboxStore(pool()),
      signals,
      send,
      findPost: slackPostFinder(client()),
      log,
      tuning: { ...FAST, ...tuning },
    });
    closers.push(async () => {
      await started.stop();
      await signals.stop();
    });
    return started;
  }

  /** The outbox as a caller uses it, on its own pool. */
  async function outbox(deliverTimeoutMs?: number): Promise<SlackOutbox> {
    const signals = new OutboxSignals(database.url, log);
    await signals.start();
    closers.push(() => signals.stop());
    return new SlackOutbox({ store: new OutboxStore(pool()), signals, deliverTimeoutMs });
  }

  /** The posts and edits Slack took (answered 200), in the order they arrived. */
  const landed = (channel?: string): SlackCall[] =>
    slack.calls.filter(
      (call) =>
        call.method.startsWith('chat.') && call.status === 200 && (!channel || call.args.channel === channel),
    );

  /** Until no message is pending. */
  async function allDone(): Promise<void> {
    await eventually(async () => {
      const { rows } = await pools[0]!.query(
        "SELECT count(*)::int AS n FROM slack_outbox WHERE state = 'pending'",
      );
      expect(rows[0].n).toBe(0);
    }, 20_000);
  }

  return {
    get slack() {
      return slack;
    },
    get logs() {
      return logs;
    },
    /** The rig's first pool: the outbox's database for a test's own queries. */
    get db() {
      return pools[0] as pg.Pool;
    },
    pool,
    sender,
    dispatcher,
    outbox,
    landed,
    textsIn: (channel: string) => landed(channel).map((call) => call.args.text),
    attemptsOf: (text: string) => slack.calls.filter((call) => call.args.text === text),
    allDone,
  };
}
