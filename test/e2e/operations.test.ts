import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobRows } from '../support/bentham-fixture.js';
import { blockText, buttons } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { buttonBody, postSigned, slashBody } from '../support/signed-requests.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ planTtlMs: 400 });
});
afterAll(async () => {
  await h?.close();
});

const stateOf = async (runId: string) =>
  (await h.db.query('SELECT state FROM action_runs WHERE id = $1', [runId])).rows[0]?.state as string;

async function request(text: string, bot = h.opsbot, harness = h): Promise<string> {
  const cards = harness.slack.of('chat.postMessage').filter((m) => !m.thread_ts).length;
  await postSigned(
    harness.url(bot),
    slashBody(text, 'U0ALICE', { responseUrl: harness.slack.responseUrl('ops') }),
  );
  // The run and its card, once the card's ts is stored (a reply in its thread needs it).
  const runId = await eventually(async () => {
    const { rows } = await harness.db.query(
      'SELECT id, message_ts FROM action_runs ORDER BY created_at DESC LIMIT 1',
    );
    const card = harness.slack.of('chat.postMessage').filter((m) => !m.thread_ts)[cards];
    expect(card).toBeDefined();
    expect(rows[0].message_ts).toBeTruthy();
    return rows[0].id as string;
  });
  return runId;
}

describe('operations endpoints', () => {
  it('answers /healthz, and /readyz with each dependency', async () => {
    const health = await fetch(`${h.url()}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${h.url()}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: { postgres: 'ok', redis: 'ok', slack: 'ok' } });
  });

  it('exposes requests by verb and outcome, runs by state and queue depth on /metrics', async () => {
    await postSigned(h.url(), slashBody('help', 'U0ALICE', { responseUrl: h.slack.responseUrl('help') }));
    await postSigned(
      h.url(),
      slashBody('frobnicate', 'U0ALICE', { responseUrl: h.slack.responseUrl('help') }),
    );
    await eventually(() => expect(h.slack.of('respond/help')).toHaveLength(2));
    const text = await (await fetch(`${h.url()}/metrics`)).text();
    expect(text).toMatch(/opsbot_slack_requests_total\{verb="help",outcome="ok"\} 1/);
    expect(text).toMatch(/opsbot_slack_requests_total\{verb="unknown",outcome="user"\} 1/);
    expect(text).toMatch(/opsbot_slack_request_duration_seconds_count\{verb="help"\} 1/);
    expect(text).toContain('# TYPE opsbot_runs gauge');
    expect(text).toMatch(/opsbot_queue_jobs\{queue="ops-actions",state="waiting"\} \d+/);
  });
});

describe('run lifecycle edges', () => {
  it('expires a plan nobody confirmed, edits the card, and refuses a late Confirm', async () => {
    const failed = async () => (await jobRows(h.bentham)).filter((r) => r.status === 'failed');
    const before = await failed();
    const runId = await request('retry bentham study_abc123');
    await eventually(async () => expect(await stateOf(runId)).toBe('expired'));
    const ts = (await h.db.query('SELECT message_ts FROM action_runs WHERE id = $1', [runId])).rows[0]
      .message_ts;
    const card = await eventually(() => {
      const update = h.slack
        .of('chat.update')
        .filter((u) => u.ts === ts)
        .at(-1);
      expect(update).toBeDefined();
      return update as Record<string, unknown>;
    });
    expect(blockText(card)).toContain('Expired');
    expect(buttons(card)).toEqual([]);

    await postSigned(
      h.url(),
      buttonBody('run_confirm', runId, 'U0ALICE', {
        messageTs: ts,
        responseUrl: h.slack.responseUrl('late'),
      }),
    );
    await eventually(() =>
      expect(String(h.slack.of('respond/late')[0]?.text)).toMatch(
        /^This plan has expired; request the action again to see a fresh plan\./,
      ),
    );
    expect(await failed()).toEqual(before);
  });

  it('marks a non-idempotent run found mid-way (its worker died) as interrupted instead of running it again', async () => {
    const runId = await request('touch bentham study_abc123');
    const before = await jobRows(h.bentham);
    // What a stalled job looks like when BullMQ delivers it again: the row already says running.
    await h.db.query("UPDATE action_runs SET state = 'running' WHERE id = $1", [runId]);
    await h.opsbot.executor.execute(runId);
    expect(await stateOf(runId)).toBe('interrupted');
    expect(await jobRows(h.bentham)).toEqual(before);
    const reply = await eventually(() => {
      const found = h.slack.of('chat.postMessage').find((m) => String(m.text).includes('Interrupted'));
      expect(found).toBeDefined();
      return found;
    });
    expect(String(reply?.text)).toContain('check the target by hand');
  });

  it('never runs a run left queued without a card (its request was cut off before the card was queued)', async () => {
    const before = await jobRows(h.bentham);
    const runId = await request('touch bentham study_abc123');
    // As if PostgreSQL had gone away between the run's row and its card's: no card, nobody told it runs.
    await h.db.query(`DELETE FROM slack_outbox WHERE key = 'run:' || $1::text`, [runId]);
    await h.db.query(
      "UPDATE action_runs SET state = 'queued', updated_at = now() - interval '1 minute' WHERE id = $1",
      [runId],
    );
    await eventually(async () => expect(await stateOf(runId)).toBe('failed'));
    const { rows } = await h.db.query('SELECT error FROM action_runs WHERE id = $1', [runId]);
    expect(rows[0].error).toMatch(/^Its request was cut off before its card was queued/);
    expect(await jobRows(h.bentham)).toEqual(before);
  });

  it('runs a run left queued whose job ended without running it (its worker could not read it while PostgreSQL was away)', async () => {
    const runId = await request('annotate bentham study_other1 swept');
    await eventually(async () => expect(await stateOf(runId)).toBe('succeeded'));
    // Its job is over (BullMQ keeps the finished job's id), and the row says queued: adding the job again by id
    // alone would do nothing.
    await h.db.query(
      "UPDATE action_runs SET state = 'queued', updated_at = now() - interval '1 minute' WHERE id = $1",
      [runId],
    );
    const ran = async () =>
      (
        await h.db.query(
          "SELECT count(*)::int AS n FROM audit_log WHERE run_id = $1 AND event = 'run.running'",
          [runId],
        )
      ).rows[0].n;
    await eventually(async () => expect(await ran()).toBe(2));
    await eventually(async () => expect(await stateOf(runId)).toBe('succeeded'));
  });

  it('runs an idempotent action found mid-way again', async () => {
    const runId = await request('retry bentham study_other1');
    await h.db.query("UPDATE action_runs SET state = 'running' WHERE id = $1", [runId]);
    await h.opsbot.executor.execute(runId);
    expect(await stateOf(runId)).toBe('succeeded');
    expect((await jobRows(h.bentham)).find((r) => r.study_id === 'study_other1')?.status).toBe('pending');
  });

  it('tells the requester when opsbot is not in the channel: a plan ends unseen, a low-risk run never goes unsaid', async () => {
    const before = await jobRows(h.bentham);
    h.slack.failing.set('chat.postMessage', 'not_in_channel');
    const replyTo = async (command: string, reply: string) => {
      await postSigned(h.url(), slashBody(command, 'U0ALICE', { responseUrl: h.slack.responseUrl(reply) }));
      return eventually(() => {
        const text = h.slack.of(`respond/${reply}`)[0]?.text;
        expect(text).toBeDefined();
        return String(text);
      });
    };
    const lastRun = async (action: string) =>
      (
        await h.db.query(
          'SELECT state, error FROM action_runs WHERE action = $1 ORDER BY created_at DESC LIMIT 1',
          [action],
        )
      ).rows[0];
    // A plan waiting for Confirm nobody can see ends at once.
    expect(await replyTo('touch bentham study_abc123', 'plan')).toMatch(
      /^opsbot is not in this channel; invite it with `\/invite @opsbot` and try again\./,
    );
    expect(await lastRun('touch')).toMatchObject({ state: 'cancelled' });
    expect((await lastRun('touch')).error).toContain('The run card could not be posted');
    // A low-risk run is queued with its card: ended if Slack refused the card before a worker took the run,
    // else it goes on, and the requester is told which, so that they do not ask twice.
    const reply = await replyTo('annotate bentham study_abc123 unseen', 'unseen');
    h.slack.failing.clear();
    expect(reply).toContain('opsbot is not in this channel; invite it');
    const annotate = await eventually(async () => {
      const run = await lastRun('annotate');
      expect(['failed', 'succeeded']).toContain(run.state);
      return run;
    });
    if (annotate.state === 'failed') {
      expect(annotate.error).toContain('The run card could not be posted');
      expect(reply).not.toContain('had already started');
      expect(await jobRows(h.bentham)).toEqual(before);
    } else {
      expect(reply).toMatch(
        /^run_\w+ had already started when Slack refused its card, so it goes on without one/,
      );
    }
  });

  it('lets an in-flight run finish on graceful shutdown', async () => {
    // Processes of this test's own, since it stops them.
    const own = await startHarness({ planTtlMs: 400 });
    try {
      const second = await own.startAnother({ role: 'worker' });
      const web = await own.startAnother({ role: 'web' });
      await own.opsbot.stop();
      const runId = await request('slow bentham study_abc123', web, own);
      const state = async () =>
        (await own.db.query('SELECT state FROM action_runs WHERE id = $1', [runId])).rows[0]?.state;
      await eventually(async () => expect(await state()).toBe('running'));
      await second.stop();
      expect(await state()).toBe('succeeded');
    } finally {
      await own.close();
    }
  });

  it('reports not ready when Slack rejects the token', async () => {
    const web = await h.startAnother({ role: 'web' });
    h.slack.failing.set('auth.test', 'invalid_auth');
    const ready = await fetch(`${h.url(web)}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: { slack: string } }).checks.slack).toContain('invalid_auth');
    h.slack.failing.clear();
  });
});
