import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { postSigned, slashBody } from '../support/signed-requests.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const FAST_RETRIES = { slackOutbox: { postSpacingMs: 20, retryBaseMs: 100, retryCapMs: 400 } };

/** Every chat.postMessage Slack saw, answered or not. */
const postAttempts = (harness: Harness) =>
  harness.slack.calls.filter((call) => call.method === 'chat.postMessage');

async function requestRetry(harness: Harness): Promise<void> {
  const body = slashBody('retry bentham study_abc123', 'U0ALICE', {
    responseUrl: harness.slack.responseUrl('r'),
  });
  expect((await postSigned(harness.url(), body)).status).toBe(200);
}

/** The run's card ts once stored, and the outbox row it came from. */
async function storedCard(harness: Harness): Promise<{ ts: string; outbox: Record<string, unknown> }> {
  return eventually(async () => {
    const run = await harness.db.query('SELECT id, message_ts FROM action_runs');
    expect(run.rows[0]?.message_ts).toBeTruthy();
    const outbox = await harness.db.query('SELECT state, attempts, ts FROM slack_outbox WHERE key = $1', [
      `run:${run.rows[0].id}`,
    ]);
    return { ts: run.rows[0].message_ts as string, outbox: outbox.rows[0] };
  });
}

describe('messages to Slack go through the outbox', () => {
  it('posts a run card exactly once after a 429 with Retry-After: 2 and then a 503, no sooner than the wait', async () => {
    h = await startHarness(FAST_RETRIES);
    h.slack.script('chat.postMessage', [{ status: 429, retryAfter: 2 }, { status: 503 }]);
    await requestRetry(h);

    const card = await storedCard(h);
    const attempts = postAttempts(h);
    expect(attempts.map((call) => call.status)).toEqual([429, 503, 200]);
    const [limited, unavailable, landed] = attempts;
    expect((unavailable?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(2000);
    expect((landed?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(2000);
    expect(new Set(attempts.map((call) => call.args.text))).toEqual(
      new Set(['retry on bentham: awaiting confirmation']),
    );
    expect(card.outbox).toEqual({ state: 'sent', attempts: 3, ts: card.ts });
    const { rows } = await h.db.query('SELECT state FROM action_runs');
    expect(rows).toEqual([{ state: 'awaiting_confirmation' }]);
  });

  it('shows waiting messages on /metrics while Slack is down, and posts them once it is back', async () => {
    h = await startHarness(FAST_RETRIES);
    h.slack.down = { status: 503 };
    await requestRetry(h);
    // Tried again while Slack is down: after a 503 (which may hide a post), each try first looks in the channel.
    await eventually(() => {
      const tries = (h as Harness).slack.calls.filter((call) => call.method === 'conversations.history');
      expect(postAttempts(h as Harness).length + tries.length).toBeGreaterThanOrEqual(2);
    });
    const metrics = await (await fetch(`${h.url()}/metrics`)).text();
    expect(metrics).toContain('opsbot_slack_outbox_pending 1');
    expect(metrics).toMatch(/opsbot_slack_outbox_oldest_pending_seconds \d/);

    h.slack.down = undefined;
    const card = await storedCard(h);
    expect(postAttempts(h).filter((call) => call.status === 200)).toHaveLength(1);
    expect(card.outbox).toMatchObject({ state: 'sent', ts: card.ts });
    expect(await (await fetch(`${h.url()}/metrics`)).text()).toContain('opsbot_slack_outbox_pending 0');
  });

  it('runs a low-risk action while Slack is down, says the card comes late, and posts card and outcome once after', async () => {
    h = await startHarness({ slackOutbox: { postSpacingMs: 20, deliverTimeoutMs: 500, retryCapMs: 400 } });
    h.slack.down = { status: 503 };
    await postSigned(
      h.url(),
      slashBody('annotate bentham study_abc123 late', 'U0ALICE', {
        responseUrl: h.slack.responseUrl('late'),
      }),
    );
    const reply = await eventually(() => {
      const text = (h as Harness).slack.of('respond/late')[0]?.text;
      expect(text).toBeDefined();
      return String(text);
    });
    expect(reply).toMatch(
      /^Slack has not taken opsbot's messages yet, so the card of run_\w+ will appear here late; the run is queued meanwhile\.$/,
    );
    // The run does not wait for Slack.
    await eventually(async () => {
      const { rows } = await (h as Harness).db.query('SELECT state, message_ts FROM action_runs');
      expect(rows).toEqual([{ state: 'succeeded', message_ts: null }]);
    });
    expect(postAttempts(h).every((call) => call.status === 503)).toBe(true);

    h.slack.down = undefined;
    const card = await storedCard(h);
    expect(card.outbox).toMatchObject({ state: 'sent', ts: card.ts });
    // The card, then its outcome in its thread: each once, in that order.
    const posts = await eventually(() => {
      const landed = postAttempts(h as Harness).filter((call) => call.status === 200);
      expect(landed).toHaveLength(2);
      return landed;
    });
    expect(posts[0]?.args.thread_ts).toBeUndefined();
    expect(posts[1]?.args.thread_ts).toBe(card.ts);
  });
});
