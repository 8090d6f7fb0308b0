import { type Job, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventJobId } from '../../src/pagerduty/events-queue.js';
import { PAGERDUTY_QUEUE } from '../../src/queue/queues.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { deliver, incidentEvent, PD_SECRET, pagerDutyConfigText } from '../support/pagerduty-webhooks.js';
import { deleteKeys } from '../support/redis-keys.js';
import { queuePrefix, TEST_REDIS_URL } from '../support/test-env.js';

// The sweeper runs every 200 ms with production's thresholds (revive after 1 minute, give up after 24 h);
// tests make an event old by moving its received_at back, instead of waiting.
const SWEEP_EVERY_MS = 200;
const prefix = queuePrefix('opsbot_sweep');
let h: Harness;
let queue: Queue;

beforeAll(async () => {
  h = await startHarness(
    { pagerDutySweep: { everyMs: SWEEP_EVERY_MS } },
    {
      configText: pagerDutyConfigText(),
      env: { PAGERDUTY_WEBHOOK_SECRET: PD_SECRET, OPSBOT_QUEUE_PREFIX: prefix },
    },
  );
  // The test's own view of opsbot's PagerDuty queue, through BullMQ as an operator would use it.
  queue = new Queue(PAGERDUTY_QUEUE, { connection: { url: TEST_REDIS_URL }, prefix });
});
afterAll(async () => {
  await queue?.close();
  await h?.close();
  await deleteKeys(prefix);
});

/** What the sweep logs when it gives events their jobs again. */
const REVIVED = 'PagerDuty events were not handled in time: their jobs are live again';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface EventRow {
  id: string;
  event_id: string;
  processed_at: Date | null;
  given_up_at: Date | null;
}

/** The stored event of a PagerDuty incident (each test sends one). */
const eventRow = async (incidentId: string): Promise<EventRow> => {
  const { rows } = await h.db.query(
    'SELECT id::text, event_id, processed_at, given_up_at FROM pagerduty_webhook_events WHERE incident_id = $1',
    [incidentId],
  );
  expect(rows).toHaveLength(1);
  return rows[0];
};

/** Moves the event's arrival back, as if it had waited that long. */
const age = (incidentId: string, ms: number) =>
  h.db.query(
    "UPDATE pagerduty_webhook_events SET received_at = now() - $2 * interval '1 millisecond' WHERE incident_id = $1",
    [incidentId, ms],
  );

/**
 * Makes PostgreSQL refuse the incident's row, so handling its event fails for real (in the worker's
 * transaction, as when the database is in trouble) until `unblock`.
 */
const block = (incidentId: string) =>
  h.db.query(
    `ALTER TABLE pagerduty_incidents ADD CONSTRAINT block_${incidentId} CHECK (id <> '${incidentId}')`,
  );
const unblock = (incidentId: string) =>
  h.db.query(`ALTER TABLE pagerduty_incidents DROP CONSTRAINT block_${incidentId}`);

/** Top-level posts in the alerts channel about one PagerDuty incident. */
const cardsOf = (incidentId: string) =>
  h.slack
    .of('chat.postMessage')
    .filter((m) => m.channel === 'C0ALERTS' && JSON.stringify(m.blocks).includes(`pd_alert:${incidentId}`));

/** Waits until the job has failed all its attempts, cutting its backoff short (BullMQ's own promote). */
const exhausted = (jobId: string): Promise<Job> =>
  eventually(async () => {
    const job = await queue.getJob(jobId);
    expect(job).toBeDefined();
    const state = await (job as Job).getState();
    if (state === 'delayed') await (job as Job).promote().catch(() => undefined);
    expect(state).toBe('failed');
    // 5 attempts, plus one for each revival by the sweep
    expect((job as Job).attemptsMade).toBeGreaterThanOrEqual(5);
    return job as Job;
  }, 20_000);

/** opsbot's log lines as objects. */
const logLines = (): Record<string, unknown>[] =>
  h.logs
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
/** Log lines starting with `msg` about the event: of its own, or a sweep's naming it among others. */
const logsAbout = (eventRowId: string, msg: string) =>
  logLines().filter(
    (line) =>
      (line.eventRowId === eventRowId ||
        (Array.isArray(line.eventRowIds) && line.eventRowIds.includes(eventRowId))) &&
      String(line.msg).startsWith(msg),
  );

const overdueGauge = async () => {
  const text = await (await fetch(`${h.url()}/metrics`)).text();
  const value = (state: string) =>
    Number(new RegExp(`^opsbot_pagerduty_events_overdue\\{state="${state}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
  return { retrying: value('retrying'), givenUp: value('given_up') };
};

describe('the PagerDuty sweeper', () => {
  it('leaves a handled event alone, however old', async () => {
    expect(
      (await deliver(h.url(), incidentEvent('incident.triggered', { id: 'QSWEEP0', serviceId: 'PSWEEP0' })))
        .status,
    ).toBe(202);
    await eventually(async () => expect((await eventRow('QSWEEP0')).processed_at).not.toBeNull());
    await age('QSWEEP0', 2 * 60_000);
    await sleep(SWEEP_EVERY_MS * 3);
    const row = await eventRow('QSWEEP0');
    expect(await (await queue.getJob(eventJobId(row.id)))?.getState()).toBe('completed');
    expect(cardsOf('QSWEEP0')).toHaveLength(1);
  });

  it('retries an event whose job failed all its attempts, once the cause is gone: its card is posted', async () => {
    await block('QSWEEP1');
    expect(
      (await deliver(h.url(), incidentEvent('incident.triggered', { id: 'QSWEEP1', serviceId: 'PSWEEP1' })))
        .status,
    ).toBe(202);
    const row = await eventRow('QSWEEP1');
    await exhausted(eventJobId(row.id));
    await unblock('QSWEEP1');

    // PagerDuty got its 202 and BullMQ has given up: nothing else would ever handle it. A fresh event is
    // left alone by the sweeper (its job may still be on its way).
    await sleep(SWEEP_EVERY_MS * 3);
    expect(await (await queue.getJob(eventJobId(row.id)))?.getState()).toBe('failed');
    expect((await eventRow('QSWEEP1')).processed_at).toBeNull();
    expect(cardsOf('QSWEEP1')).toHaveLength(0);

    await age('QSWEEP1', 2 * 60_000);
    await eventually(() => expect(cardsOf('QSWEEP1')).toHaveLength(1));
    expect((await eventRow('QSWEEP1')).processed_at).not.toBeNull();
    expect(logsAbout(row.id, REVIVED)).toMatchObject([{ requeued: { retried: 1 }, level: 40 }]);
  });

  it('adds the jobs again for events whose jobs vanished from Redis, in one log line', async () => {
    const incidents = ['QSWEEP2', 'QSWEEP9', 'QSWEEP10'];
    await queue.pause();
    for (const id of incidents) {
      expect(
        (await deliver(h.url(), incidentEvent('incident.triggered', { id, serviceId: 'PSWEEP2' }))).status,
      ).toBe(202);
    }
    const rows = await Promise.all(incidents.map(eventRow));
    // The workers' feed adds the jobs once the web process has announced the events.
    for (const row of rows) {
      await eventually(async () => expect(await queue.getJob(eventJobId(row.id))).toBeDefined());
      expect(await queue.remove(eventJobId(row.id))).toBe(1);
    }
    await queue.resume();

    await sleep(SWEEP_EVERY_MS * 3);
    expect((await eventRow('QSWEEP2')).processed_at).toBeNull();

    // All three old at once, so that one sweep finds them together.
    await h.db.query(
      "UPDATE pagerduty_webhook_events SET received_at = now() - interval '2 minutes' WHERE incident_id = ANY($1)",
      [incidents],
    );
    for (const id of incidents) await eventually(() => expect(cardsOf(id)).toHaveLength(1));
    for (const id of incidents) expect((await eventRow(id)).processed_at).not.toBeNull();
    const lines = logsAbout(rows[0]?.id ?? '', REVIVED);
    expect(lines).toMatchObject([{ count: 3, requeued: { added: 3 } }]);
    const named = (lines[0]?.eventRowIds ?? []) as string[];
    expect([...named].sort()).toEqual(rows.map((row) => row.id).sort());
  });

  it('keeps retrying a failing event for a day, then gives up on it: logged once, never retried', async () => {
    await block('QSWEEP3');
    expect(
      (await deliver(h.url(), incidentEvent('incident.triggered', { id: 'QSWEEP3', serviceId: 'PSWEEP3' })))
        .status,
    ).toBe(202);
    const row = await eventRow('QSWEEP3');
    await exhausted(eventJobId(row.id));

    // An hour old and still failing: the sweeper keeps reviving it, and /metrics shows it waiting.
    await age('QSWEEP3', 3_600_000);
    await eventually(async () => {
      expect(logsAbout(row.id, REVIVED).length).toBeGreaterThan(0);
      expect(await overdueGauge()).toEqual({ retrying: 1, givenUp: 0 });
    });

    await age('QSWEEP3', 25 * 3_600_000);
    await eventually(async () => expect((await eventRow('QSWEEP3')).given_up_at).not.toBeNull());
    // A retry started before the give-up runs its course; after that the job stays failed.
    const job = await exhausted(eventJobId(row.id));
    await sleep(SWEEP_EVERY_MS * 5);
    const after = await queue.getJob(eventJobId(row.id));
    expect(await after?.getState()).toBe('failed');
    expect(after?.finishedOn).toBe(job.finishedOn);
    // Each revival cost one attempt, not five.
    const revivals = logsAbout(row.id, REVIVED).length;
    expect(after?.attemptsMade).toBe(5 + revivals);

    const gaveUp = logsAbout(row.id, 'gave up on a PagerDuty event');
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0]).toMatchObject({
      level: 50,
      eventRowId: row.id,
      eventId: row.event_id,
      eventType: 'incident.triggered',
      incidentId: 'QSWEEP3',
    });
    expect(JSON.stringify(gaveUp[0])).not.toMatch(/Study failure rate|Alice Smith|payload/);
    expect(await overdueGauge()).toEqual({ retrying: 0, givenUp: 1 });
    expect(cardsOf('QSWEEP3')).toHaveLength(0);
    expect((await eventRow('QSWEEP3')).processed_at).toBeNull();
    await unblock('QSWEEP3');
  });

  it('a redelivery of an event whose job failed all its attempts retries it at once, without the sweep', async () => {
    await block('QSWEEP4');
    const event = incidentEvent('incident.triggered', { id: 'QSWEEP4', serviceId: 'PSWEEP4' });
    expect((await deliver(h.url(), event)).status).toBe(202);
    const row = await eventRow('QSWEEP4');
    await exhausted(eventJobId(row.id));
    await unblock('QSWEEP4');

    // Fresh (the sweep leaves it alone for a minute): only the redelivery can revive it.
    const again = await deliver(h.url(), event);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ok: true, duplicate: true });
    await eventually(async () => expect((await eventRow('QSWEEP4')).processed_at).not.toBeNull(), 20_000);
    expect(cardsOf('QSWEEP4')).toHaveLength(1);
  });

  it('deletes events handled or given up on more than 30 days ago, and keeps the others', async () => {
    // Three handled events: one handled 31 days ago, one given up on 31 days ago, one handled now.
    for (const id of ['QSWEEP5', 'QSWEEP6', 'QSWEEP7']) {
      expect(
        (await deliver(h.url(), incidentEvent('incident.triggered', { id, serviceId: `P${id}` }))).status,
      ).toBe(202);
      await eventually(async () => expect((await eventRow(id)).processed_at).not.toBeNull());
    }
    const { rows } = await h.db.query(`SELECT incident_id FROM pagerduty_webhook_events ORDER BY id`);
    await h.db.query(
      `UPDATE pagerduty_webhook_events SET processed_at = now() - interval '31 days' WHERE incident_id = 'QSWEEP5'`,
    );
    await h.db.query(
      `UPDATE pagerduty_webhook_events SET processed_at = NULL, given_up_at = now() - interval '31 days'
       WHERE incident_id = 'QSWEEP6'`,
    );
    await eventually(async () => {
      const left = await h.db.query('SELECT incident_id FROM pagerduty_webhook_events ORDER BY id');
      expect(left.rows.map((row) => row.incident_id)).toEqual(
        rows.map((row) => row.incident_id).filter((id) => id !== 'QSWEEP5' && id !== 'QSWEEP6'),
      );
    });
    expect(rows.map((row) => row.incident_id)).toContain('QSWEEP7');
  });

  it('handled nothing twice: one card per incident, and nothing more in the channel', async () => {
    // An event delivered twice and swept when old, beside whatever the other tests left.
    const event = incidentEvent('incident.triggered', { id: 'QSWEEP8', serviceId: 'PSWEEP8' });
    expect((await deliver(h.url(), event)).status).toBe(202);
    expect((await deliver(h.url(), event)).status).toBe(200);
    await eventually(() => expect(cardsOf('QSWEEP8')).toHaveLength(1));
    await age('QSWEEP8', 2 * 60_000);
    await sleep(SWEEP_EVERY_MS * 3);
    // Every post in the channel is the one card of its incident.
    const posts = h.slack.of('chat.postMessage').filter((m) => m.channel === 'C0ALERTS');
    const carded = posts.map((m) => /pd_alert:(\w+)/.exec(JSON.stringify(m.blocks))?.[1]);
    expect(carded).not.toContain(undefined);
    expect(new Set(carded).size).toBe(posts.length);
    expect(cardsOf('QSWEEP8')).toHaveLength(1);
    expect(h.slack.of('chat.update').filter((m) => m.channel === 'C0ALERTS')).toHaveLength(0);
  });
});
