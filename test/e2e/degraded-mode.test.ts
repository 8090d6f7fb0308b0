import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockText, nextCard, topCards } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { buttonBody, postSigned, slashBody } from '../support/signed-requests.js';

let h: Harness;
let replies = 0;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const settings = async () =>
  (await h.bentham.query('SELECT degraded, allowed_models FROM settings WHERE id = 1')).rows[0] as {
    degraded: boolean;
    allowed_models: string | null;
  };

/** Requests `/ops <text>` as Alice, confirms the card, and waits for the run to end; returns the run. */
async function degradeAndConfirm(
  text: string,
): Promise<{ state: string; error: string | null; plan: string }> {
  const before = topCards(h.slack).length;
  await postSigned(
    h.url(),
    slashBody(text, 'U0ALICE', { responseUrl: h.slack.responseUrl(`d${++replies}`) }),
  );
  const { card, runId, ts } = await nextCard(h, before);
  expect(topCards(h.slack)).toHaveLength(before + 1);
  await postSigned(
    h.url(),
    buttonBody('run_confirm', runId, 'U0ALICE', { messageTs: ts, responseUrl: h.slack.responseUrl() }),
  );
  return eventually(async () => {
    const { rows } = await h.db.query('SELECT state, error FROM action_runs WHERE id = $1', [runId]);
    expect(['succeeded', 'failed']).toContain(rows[0].state);
    return { ...rows[0], plan: blockText(card) };
  });
}

/** What Alice is told ephemerally when `/ops <text>` is refused. */
async function refusal(text: string): Promise<string> {
  const name = `r${++replies}`;
  await postSigned(h.url(), slashBody(text, 'U0ALICE', { responseUrl: h.slack.responseUrl(name) }));
  return eventually(() => {
    const reply = h.slack.of(`respond/${name}`)[0];
    expect(reply).toBeDefined();
    return String(reply?.text);
  });
}

describe('degraded mode through SQL', () => {
  it('turns on with an allow-list, records it, shows it in the next plan, and turns off', async () => {
    const on = await degradeAndConfirm('degraded bentham on llama3.2,qwen2.5-coder:1.5b');
    expect(on.plan).toContain(
      'Degraded mode is off; it will allow only llama3.2, qwen2.5-coder:1.5b, due to end in 4 h.',
    );
    expect(on.state).toBe('succeeded');
    expect(await settings()).toEqual({ degraded: true, allowed_models: 'llama3.2,qwen2.5-coder:1.5b' });
    const { rows } = await h.db.query(
      "SELECT value, set_by, expires_at - now() > interval '3 hours' AS later FROM service_state WHERE service = 'bentham'",
    );
    expect(rows).toEqual([
      { value: { on: true, models: ['llama3.2', 'qwen2.5-coder:1.5b'] }, set_by: 'U0ALICE', later: true },
    ]);

    const off = await degradeAndConfirm('degraded bentham off');
    expect(off.plan).toMatch(
      /Degraded mode is on since .* \(allowing llama3\.2, qwen2\.5-coder:1\.5b\); it will serve every model again\./,
    );
    expect(off.state).toBe('succeeded');
    expect(await settings()).toEqual({ degraded: false, allowed_models: null });
    expect((await h.db.query('SELECT count(*)::int AS n FROM service_state')).rows[0].n).toBe(0);
  });

  it('refuses models outside the configured set, a missing list, models with off, and hostile slugs, changing nothing', async () => {
    const runs = async () =>
      (await h.db.query('SELECT count(*)::int AS n FROM action_runs')).rows[0].n as number;
    const before = await runs();
    expect(await refusal('degraded bentham on llama3.2,gpt-4o')).toMatch(
      /^Degraded mode may only allow llama3\.2, qwen2\.5-coder:1\.5b, phi3, mistral-nemo-instruct-2407; not gpt-4o\./,
    );
    expect(await refusal('degraded bentham on models=')).toMatch(/^Name the models to allow while degraded/);
    expect(await refusal('degraded bentham off llama3.2')).toMatch(
      /^Turning degraded mode off takes no models/,
    );
    expect(await refusal(`degraded bentham on "x'; drop table settings; --"`)).toMatch(/is not a model slug/);
    expect(await runs()).toBe(before);
    expect(await settings()).toEqual({ degraded: false, allowed_models: null });
  });

  it('reports a constraint violation on the target in one sentence and leaves it unchanged', async () => {
    const failed = await degradeAndConfirm(
      'degraded bentham on llama3.2,qwen2.5-coder:1.5b,mistral-nemo-instruct-2407',
    );
    expect(failed.state).toBe('failed');
    expect(failed.error).toBe(
      'new row for relation "settings" violates check constraint "settings_allowed_models_check"',
    );
    expect(await settings()).toEqual({ degraded: false, allowed_models: null });
    expect((await h.db.query('SELECT count(*)::int AS n FROM service_state')).rows[0].n).toBe(0);
  });

  it('keeps on and off from overlapping: one active degraded-mode run per service', async () => {
    const before = h.slack.of('chat.postMessage').filter((m) => !m.thread_ts).length;
    await postSigned(
      h.url(),
      slashBody('degraded bentham on phi3', 'U0ALICE', { responseUrl: h.slack.responseUrl('o1') }),
    );
    await eventually(() =>
      expect(h.slack.of('chat.postMessage').filter((m) => !m.thread_ts).length).toBe(before + 1),
    );
    expect(await refusal('degraded bentham off')).toMatch(
      /^degraded on bentham is already in progress for the same target/,
    );
    await h.db.query(
      "UPDATE action_runs SET state = 'cancelled' WHERE action = 'degraded' AND state = 'awaiting_confirmation'",
    );
  });

  it('reminds in the thread before the end, then opsbot turns degraded mode off by itself', async () => {
    await degradeAndConfirm('degraded bentham on phi3');
    expect(await settings()).toEqual({ degraded: true, allowed_models: 'phi3' });
    const onRun = (
      await h.db.query(
        "SELECT id, message_ts FROM action_runs WHERE action = 'degraded' AND state = 'succeeded' ORDER BY created_at DESC LIMIT 1",
      )
    ).rows[0];

    // As if 3 h 50 min had passed: move the end time instead of waiting (remind_before is 30m).
    await h.db.query(
      "UPDATE service_state SET expires_at = now() + interval '10 minutes' WHERE service = 'bentham'",
    );
    const reminder = await eventually(() => {
      const note = h.slack
        .of('chat.postMessage')
        .find((m) => m.thread_ts === onRun.message_ts && String(m.text).startsWith('This ends in'));
      expect(note).toBeDefined();
      return String(note?.text);
    });
    expect(reminder).toMatch(/^This ends in (9|10) min \(\d\d:\d\d UTC\), when opsbot undoes it\./);

    await h.db.query(
      "UPDATE service_state SET expires_at = now() - interval '1 second' WHERE service = 'bentham'",
    );
    // The settings flip inside execute(), before the run is marked succeeded: wait for the run itself.
    await eventually(async () => {
      const undo = (
        await h.db.query("SELECT requested_by, params, state FROM action_runs WHERE requested_by = 'opsbot'")
      ).rows;
      expect(undo).toEqual([{ requested_by: 'opsbot', params: { state: 'off' }, state: 'succeeded' }]);
    });
    expect(await settings()).toEqual({ degraded: false, allowed_models: null });
    const card = h.slack
      .of('chat.postMessage')
      .find((m) => !m.thread_ts && blockText(m).includes('Started by opsbot'));
    expect(card).toBeDefined();
    expect((await h.db.query('SELECT count(*)::int AS n FROM service_state')).rows[0].n).toBe(0);
    expect(
      h.slack
        .of('chat.postMessage')
        .filter((m) => m.thread_ts === onRun.message_ts && String(m.text).startsWith('This ends in')),
    ).toHaveLength(1);
  });
});
