import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { INCIDENT_SLOTS_QUEUE } from '../../src/queue/queues.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness, testConfigText } from '../support/harness.js';
import { postSigned, slashBody } from '../support/signed-requests.js';
import { TEST_REDIS_URL } from '../support/test-env.js';

/** What the issue asks: each slot posted within 5 s of its time. */
const ON_TIME_MS = 5_000;
/** The safety sweep, set far longer than the test, so only the slots' own jobs can be on time. */
const SLOW_SWEEP = { incidentTickMs: 10 * 60_000 };

/** A minute's cadence, shortened: a status update every 4 s, and an escalation step 3 s in. */
function configText(): string {
  const config = parse(testConfigText());
  config.incidents.status_update_every = '4s';
  config.incidents.escalation = [{ after: '3s', to: 'S0DEVOPS' }];
  return stringify(config);
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function declare(harness: Harness, title: string): Promise<{ id: string; channel: string }> {
  await postSigned(
    harness.url(),
    slashBody(`incident declare SEV3 ${title}`, 'U0ALICE', { responseUrl: harness.slack.responseUrl('d') }),
  );
  return eventually(async () => {
    const { rows } = await harness.db.query('SELECT id, channel_id FROM incidents WHERE title = $1', [title]);
    expect(rows).toHaveLength(1);
    return { id: rows[0].id as string, channel: rows[0].channel_id as string };
  });
}

/** When the incident's next status update is due, and when it was declared. */
async function times(harness: Harness, id: string): Promise<{ nextStatusAt: Date; declaredAt: Date }> {
  const { rows } = await harness.db.query('SELECT next_status_at, declared_at FROM incidents WHERE id = $1', [
    id,
  ]);
  return { nextStatusAt: rows[0].next_status_at as Date, declaredAt: rows[0].declared_at as Date };
}

const until = (at: Date) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, at.getTime() - Date.now())));

const statusUpdates = (harness: Harness, channel: string) =>
  harness.slack
    .of('chat.postMessage')
    .filter((m) => m.channel === channel && String(m.text).startsWith('Status update'));

const reminders = (harness: Harness) =>
  harness.slack.of('chat.postMessage').filter((m) => String(m.text).startsWith('<!subteam^S0DEVOPS>'));

/** Waits until the slot's time, then for `posted` to be `count` long within ON_TIME_MS of it. */
async function onTime(at: Date, posted: () => unknown[], count: number): Promise<void> {
  await until(at);
  await eventually(() => expect(posted()).toHaveLength(count), ON_TIME_MS);
}

describe('incident slots on time', () => {
  it('with two processes, each status update and the escalation step fire within 5 s of their slot, once', async () => {
    h = await startHarness(SLOW_SWEEP, { configText: configText() });
    const second = await h.startAnother(SLOW_SWEEP);
    const harness = h;
    const { id, channel } = await declare(harness, 'Study queue stalled');
    const first = await times(harness, id);
    await onTime(new Date(first.declaredAt.getTime() + 3_000), () => reminders(harness), 1);
    await onTime(first.nextStatusAt, () => statusUpdates(harness, channel), 1);
    const next = await eventually(async () => {
      const { nextStatusAt } = await times(harness, id);
      expect(nextStatusAt.getTime()).toBeGreaterThan(first.nextStatusAt.getTime());
      return nextStatusAt;
    });
    await onTime(next, () => statusUpdates(harness, channel), 2);
    await harness.opsbot.stop();
    await second.stop();
    const { rows } = await harness.db.query('SELECT status_slots FROM incidents WHERE id = $1', [id]);
    expect(statusUpdates(harness, channel)).toHaveLength(rows[0].status_slots as number);
    expect(reminders(harness)).toHaveLength(1);
  });

  it('a slot whose job Redis lost is given it again by a worker starting, and fires on time', async () => {
    h = await startHarness(SLOW_SWEEP, { configText: configText() });
    const harness = h;
    const { id, channel } = await declare(harness, 'Executor restarts in a loop');
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue(INCIDENT_SLOTS_QUEUE, { connection, prefix: harness.vars.OPSBOT_QUEUE_PREFIX });
    try {
      await eventually(async () => expect(await queue.getDelayedCount()).toBeGreaterThan(0));
      await queue.drain(true);
      expect(await queue.getDelayedCount()).toBe(0);
    } finally {
      await queue.close();
      connection.disconnect();
    }
    await harness.startAnother(SLOW_SWEEP);
    const { nextStatusAt, declaredAt } = await times(harness, id);
    await onTime(new Date(declaredAt.getTime() + 3_000), () => reminders(harness), 1);
    await onTime(nextStatusAt, () => statusUpdates(harness, channel), 1);
  });
});
