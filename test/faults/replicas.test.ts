import { randomUUID } from 'node:crypto';
import { Job, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ACTIONS_QUEUE, QUEUES } from '../../src/queue/queues.js';
import { blockText } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import type { SlackCall } from '../support/fake-slack.js';
import { deliver, incidentEvent, pagerDutyConfigText } from '../support/pagerduty-webhooks.js';
import { type Fleet, killBetweenMessages, startFleet } from '../support/replica-fleet.js';
import { buttonBody, postSigned, slashBody } from '../support/signed-requests.js';
import { slowCountAction } from '../support/slow-action.js';
import { TEST_REDIS_URL } from '../support/test-env.js';

/** Issue 18's bound: a run whose worker died is settled within 30 s of the death. */
const SETTLE_BOUND_MS = 30_000;
/** What the incident-slots issue asks: each slot posted within 5 s of its time. */
const ON_TIME_MS = 5_000;
/** The incident's status update cadence (SEV2) and the digest's, both shortened to seconds. */
const STATUS_EVERY_S = 4;
const DIGEST_EVERY_S = 5;
/** Runs enough to fill both workers: each takes this many actions at once. */
const PER_WORKER = QUEUES[ACTIONS_QUEUE].concurrency;
/** Channels where actions may be requested: run cards are paced per channel, so they spread over four. */
const CHANNELS = ['C0OPS', 'C0OPS2', 'C0OPS3', 'C0OPS4'];

/**
 * The Bentham test config with PagerDuty cards in C0ALERTS, SEV2 status updates every 4 s, an escalation step
 * 2 s in, a digest every 5 s in C0DIGEST, and `hang`: a low-risk (it runs on request) idempotent SQL action
 * that adds one to a study's attempt count after 6 s, committing only at its end.
 */
function configText(): string {
  const config = parse(pagerDutyConfigText());
  config.channels.allow.push(...CHANNELS.slice(1));
  config.incidents.severities.SEV2.status_update_every = `${STATUS_EVERY_S}s`;
  config.incidents.escalation = [{ after: '2s', to: 'S0DEVOPS' }];
  config.digest = { schedule: `*/${DIGEST_EVERY_S} * * * * *`, channel: 'C0DIGEST' };
  config.services.bentham.actions.hang = slowCountAction(6, true);
  return stringify(config);
}

let fleet: Fleet;
let replies = 0;
/** Every run the test requested, by study (each run its own study, so Bentham's counts are per run). */
const runs = new Map<string, string>();

beforeAll(async () => {
  fleet = await startFleet(configText(), 2, 2);
  // One failed job per study the test's runs touch, so each run's count is its own.
  const studies = ['study_confirm', ...hangStudies()];
  await fleet.bentham.query("INSERT INTO jobs (study_id, status) SELECT unnest($1::text[]), 'failed'", [
    studies,
  ]);
}, 120_000);
afterAll(async () => {
  await fleet?.close();
});

const hangStudies = () => Array.from({ length: 2 * PER_WORKER }, (_, i) => `study_h${i}`);

/** `/ops <text>` as Alice in `channel`, through the web process `web`; Slack's ack must be a 200. */
async function ops(web: string, text: string, channel = 'C0OPS'): Promise<void> {
  const response = await postSigned(
    web,
    slashBody(text, 'U0ALICE', { channel, responseUrl: fleet.slack.responseUrl(`r${++replies}`) }),
  );
  expect(response.status).toBe(200);
}

/** The run requested on `study`, once its card is posted: its id and card ts. */
function runOn(study: string): Promise<{ id: string; ts: string }> {
  return eventually(async () => {
    const { rows } = await fleet.db.query(
      "SELECT id, message_ts FROM action_runs WHERE params->>'study' = $1 AND message_ts IS NOT NULL",
      [study],
    );
    expect(rows).toHaveLength(1);
    runs.set(study, rows[0].id);
    return { id: rows[0].id as string, ts: rows[0].message_ts as string };
  }, 15_000);
}

/** A run's state, and its error if it has one. */
async function runError(id: string): Promise<{ state: string; error?: string }> {
  const { rows } = await fleet.db.query('SELECT state, error FROM action_runs WHERE id = $1', [id]);
  return { state: rows[0].state, ...(rows[0].error ? { error: rows[0].error } : {}) };
}

async function runState(id: string): Promise<string> {
  const { rows } = await fleet.db.query('SELECT state FROM action_runs WHERE id = $1', [id]);
  return rows[0].state as string;
}

async function attempts(study: string): Promise<number> {
  const { rows } = await fleet.bentham.query(
    'SELECT sum(attempt_count)::int AS n FROM jobs WHERE study_id = $1',
    [study],
  );
  return rows[0].n as number;
}

/** Posts Slack took (answered 200), in order: in `channel`, or all of them. */
const posts = (channel?: string): SlackCall[] =>
  fleet.slack.calls.filter(
    (call) =>
      call.method === 'chat.postMessage' &&
      call.status === 200 &&
      (channel === undefined || call.args.channel === channel),
  );
/** Those in `channel` that are not thread replies. */
const topLevel = (channel: string) => posts(channel).filter((call) => !call.args.thread_ts);

describe('2 web and 2 worker processes on one PostgreSQL and one Redis', () => {
  it('take requests and clicks on either web process; a Confirm pressed on both at once runs once', async () => {
    const [webA, webB] = fleet.webs as [string, string];
    await ops(webA, 'touch bentham study_confirm');
    const run = await runOn('study_confirm');
    expect(await runState(run.id)).toBe('awaiting_confirmation');

    const press = (web: string) =>
      postSigned(
        web,
        buttonBody('run_confirm', run.id, 'U0ALICE', {
          messageTs: run.ts,
          responseUrl: fleet.slack.responseUrl(`r${++replies}`),
        }),
      );
    const answers = await Promise.all([press(webA), press(webB)]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    await eventually(async () => expect(await runState(run.id)).toBe('succeeded'), 15_000);
    expect(await attempts('study_confirm')).toBe(1);
    const { rows } = await fleet.db.query(
      "SELECT count(*)::int AS n FROM audit_log WHERE event = 'run.queued' AND run_id = $1",
      [run.id],
    );
    expect(rows[0].n).toBe(1);
  });

  it('take the same PagerDuty event delivered to both web processes once', async () => {
    const body = JSON.stringify(incidentEvent('incident.triggered', { id: 'QREPLICA1' }));
    const webhookId = randomUUID();
    const answers = await Promise.all(fleet.webs.map((web) => deliver(web, body, { webhookId })));
    // One of the two stores it (202); the other finds it stored already (200, a duplicate).
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 202]);
    await eventually(() => expect(alertCards('QREPLICA1')).toHaveLength(1), 15_000);
    const { rows } = await fleet.db.query(
      "SELECT count(*)::int AS n FROM pagerduty_webhook_events WHERE incident_id = 'QREPLICA1'",
    );
    expect(rows[0].n).toBe(1);
  });

  it('lose a worker to kill -9 mid-run: every run executes once, and the schedules keep their time', async () => {
    const [webA, webB] = fleet.webs as [string, string];
    await ops(webB, 'incident declare SEV2 Replicas under test');
    const incident = await theIncident();
    // Twice as many slow runs as one worker takes at once: when all are running, each worker holds its share.
    await Promise.all(
      hangStudies().map((study, i) =>
        ops(i % 2 ? webB : webA, `hang bentham ${study}`, CHANNELS[i % CHANNELS.length]),
      ),
    );
    await eventually(async () => {
      const { rows } = await fleet.db.query(
        "SELECT count(*)::int AS n FROM action_runs WHERE action = 'hang' AND state = 'running'",
      );
      expect(rows[0].n).toBe(2 * PER_WORKER);
    }, 15_000);

    await killBetweenMessages(fleet, fleet.workers[0]!);
    const diedAt = Date.now();
    const hangRuns = await Promise.all(hangStudies().map((study) => runOn(study)));

    // The schedules go on with one worker: the next status update and the next digest come on time.
    const { nextStatusAt } = await theIncident();
    await until(nextStatusAt);
    await eventually(async () => {
      const { rows } = await fleet.db.query('SELECT last_status_at FROM incidents WHERE id = $1', [
        incident.id,
      ]);
      expect((rows[0].last_status_at as Date | null)?.getTime()).toBeGreaterThanOrEqual(
        nextStatusAt.getTime(),
      );
      expect(statusUpdates(incident.channel).length).toBeGreaterThanOrEqual(await statusSlots(incident.id));
    }, ON_TIME_MS);
    const slot = new Date(Math.ceil((Date.now() + 1) / (DIGEST_EVERY_S * 1000)) * DIGEST_EVERY_S * 1000);
    await until(slot);
    await eventually(async () => {
      const { rows } = await fleet.db.query("SELECT ts FROM slack_outbox WHERE key = $1 AND state = 'sent'", [
        `digest:daily:${slot.getTime()}`,
      ]);
      expect(rows).toHaveLength(1);
    }, ON_TIME_MS);

    // Every run succeeded, and Bentham counts each exactly once: the killed worker's statements never
    // committed, and the survivor ran them again (they are idempotent) once their heartbeat went stale.
    await eventually(
      async () => {
        for (const run of hangRuns) expect(await runError(run.id), run.id).toEqual({ state: 'succeeded' });
      },
      Math.max(0, diedAt + SETTLE_BOUND_MS - Date.now()),
    );
    for (const study of hangStudies()) expect(await attempts(study), study).toBe(1);
    // The kill landed mid-run: the killed worker's share of the jobs was taken over after their lock lapsed.
    const queue = new Queue(ACTIONS_QUEUE, { connection: { url: TEST_REDIS_URL }, prefix: fleet.prefix });
    try {
      // Read once BullMQ has finished each job (a run's row is settled just before its job completes).
      const stalled = await eventually(async () => {
        const jobs = await Promise.all(hangRuns.map((run) => Job.fromId(queue, run.id)));
        for (const job of jobs) expect(await job?.isCompleted()).toBe(true);
        return jobs.map((job) => job?.stalledCounter);
      });
      expect(stalled.filter((count) => count === 1)).toHaveLength(PER_WORKER);
    } finally {
      await queue.close();
    }
  }, 60_000);

  it('posted every message once, each run card and outcome once, and each schedule slot once', async () => {
    const incident = await theIncident();
    // End the incident's schedule, let the outbox send what is queued, then stop the processes: what Slack
    // got can then be compared with what opsbot recorded, without a race.
    await ops(fleet.webs[0]!, 'incident resolve Replicas tested', incident.channel);
    await eventually(async () => {
      const { rows } = await fleet.db.query(
        "SELECT count(*)::int AS n FROM slack_outbox WHERE state <> 'sent' AND channel <> 'C0DIGEST'",
      );
      expect(rows[0].n).toBe(0);
    }, 15_000);
    await fleet.stop();

    // Every post Slack took is one message the outbox recorded as sent, and the other way round: a message
    // posted again (say, after a worker died holding it) is a post whose ts no row has.
    const { rows: sent } = await fleet.db.query(
      "SELECT ts FROM slack_outbox WHERE kind = 'post' AND state = 'sent' ORDER BY ts",
    );
    const recorded = new Set(sent.map((row) => row.ts as string));
    const unrecorded = posts().filter((call) => !recorded.has(String(call.answer?.ts)));
    expect(
      unrecorded.map((call) => call.args),
      'posts Slack took that no sent outbox message has',
    ).toEqual([]);
    expect(posts()).toHaveLength(sent.length);

    // Each run: one card, one outcome in its thread.
    for (const [study, runId] of runs) {
      const cards = posts().filter(
        (call) => !call.args.thread_ts && JSON.stringify(call.args).includes(runId),
      );
      expect(cards, study).toHaveLength(1);
      const ts = String(cards[0]?.answer?.ts);
      expect(
        posts().filter((call) => call.args.thread_ts === ts),
        study,
      ).toHaveLength(1);
    }
    expect(alertCards('QREPLICA1')).toHaveLength(1);
    const reminders = topLevel('C0OPS').filter((call) =>
      String(call.args.text).startsWith('<!subteam^S0DEVOPS>'),
    );
    expect(reminders).toHaveLength(1);

    // Status updates: one per slot the incident's row counts, each with its nudge; each a slot of its own, at
    // least the cadence after the previous one (its "Open for" is when its slot was claimed).
    const updates = statusUpdates(incident.channel);
    const slots = await statusSlots(incident.id);
    expect(slots).toBeGreaterThanOrEqual(3);
    expect(updates).toHaveLength(slots);
    expect(nudges(incident.channel)).toHaveLength(slots);
    const openFor = updates.map((call) => {
      const seconds = /Open for (\d+) s\b/.exec(blockText(call.args))?.[1];
      expect(seconds, blockText(call.args)).toBeDefined();
      return Number(seconds);
    });
    for (let i = 1; i < openFor.length; i++) {
      expect(openFor[i]! - openFor[i - 1]!, `${openFor}`).toBeGreaterThanOrEqual(STATUS_EVERY_S - 1);
    }

    // Digests: one post per slot. A slot's row in `digests` is written once Slack has its message, so each
    // row's message was sent; a slot whose message was still queued when the processes stopped has no row yet.
    const { rows: digests } = await fleet.db.query(
      `SELECT d.slot_at, o.state FROM digests d
         LEFT JOIN slack_outbox o ON o.channel = 'C0DIGEST'
          AND o.key = 'digest:daily:' || (extract(epoch FROM d.slot_at) * 1000)::bigint`,
    );
    expect(digests.length).toBeGreaterThanOrEqual(4);
    // Each row is a slot of the cron pattern (every 5 s on the second), so two rows are two slots.
    expect(digests.filter((row) => (row.slot_at as Date).getTime() % (DIGEST_EVERY_S * 1000) !== 0)).toEqual(
      [],
    );
    expect(digests.filter((row) => row.state !== 'sent')).toEqual([]);
    const { rows: digestsSent } = await fleet.db.query(
      `SELECT count(*)::int AS n FROM slack_outbox
       WHERE channel = 'C0DIGEST' AND key LIKE 'digest:daily:%' AND state = 'sent'`,
    );
    expect(topLevel('C0DIGEST')).toHaveLength(digestsSent[0].n);
  }, 40_000);
});

/** The incident the test declared: id, channel, when its next status update is due. */
async function theIncident(): Promise<{ id: string; channel: string; nextStatusAt: Date }> {
  return eventually(async () => {
    const { rows } = await fleet.db.query('SELECT id, channel_id, next_status_at FROM incidents');
    expect(rows).toHaveLength(1);
    return { id: rows[0].id, channel: rows[0].channel_id, nextStatusAt: rows[0].next_status_at };
  }, 15_000);
}

async function statusSlots(id: string): Promise<number> {
  const { rows } = await fleet.db.query('SELECT status_slots FROM incidents WHERE id = $1', [id]);
  return rows[0].status_slots as number;
}

const statusUpdates = (channel: string) =>
  topLevel(channel).filter((call) => String(call.args.text).startsWith('Status update for'));
const nudges = (channel: string) =>
  topLevel(channel).filter((call) => String(call.args.text).includes('no status update since'));

/** Top-level posts in the alerts channel about one PagerDuty incident. */
const alertCards = (incidentId: string) =>
  topLevel('C0ALERTS').filter((call) => JSON.stringify(call.args.blocks).includes(`pd_alert:${incidentId}`));

const until = (at: Date) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, at.getTime() - Date.now())));
