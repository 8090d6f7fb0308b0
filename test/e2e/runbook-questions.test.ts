import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { RunbookStore } from '../../src/runbooks/store.js';
import { blockText, buttons } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness, testConfigText } from '../support/harness.js';
import { runbookRuns } from '../support/runbook-runs.js';
import { buttonBody, modalSubmitBody, postSigned, slashBody } from '../support/signed-requests.js';

/**
 * A runbook's questions answered from Slack: the Answer button in the card's thread opens a modal (a choice,
 * a typed value, a yes/no confirmation), the answer steers the steps after it (`when: { step, choice }`, a
 * `{step.value}` template), and everything that must be refused is: a value the question does not take, a
 * person without the runbook's role, a second answer, an answer once the runbook is cancelled. Also: the
 * places a runbook starts from besides `/ops <runbook> <service>`.
 */
let h: Harness;
let rb: ReturnType<typeof runbookRuns>;
let clicks = 0;

beforeAll(async () => {
  const config = parse(testConfigText());
  // Only the test-only actions touch (medium risk, asks for Confirm) and annotate (low risk, runs at once).
  config.services.bentham.actions.triage = {
    kind: 'runbook',
    summary: "Triage a study's failed jobs",
    params: { study: { type: 'string', pattern: '^study_[a-z0-9]+$' } },
    steps: [
      {
        name: 'how',
        ask: { text: 'How should *{study}* be handled?', choices: ['retry', 'annotate', 'leave'] },
      },
      { name: 'touch', action: 'touch', when: { step: 'how', choice: 'retry' } },
      {
        name: 'why',
        ask: { text: 'Why did {study} fail?', input: { label: 'Reason', pattern: '^[a-z ]{3,40}$' } },
        when: { step: 'how', choice: 'annotate' },
      },
      {
        name: 'annotate',
        action: 'annotate',
        with: { message: 'triage: {why.value}' },
        when: { step: 'why' },
      },
      { name: 'close', ask: { text: 'Close the triage of {study}?' } },
      {
        name: 'bye',
        message: 'Triage of {study} closed by {close.by}.',
        when: { step: 'close', choice: 'yes' },
      },
    ],
  };
  h = await startHarness({ runbookPollMs: 100 }, { configText: stringify(config) });
  rb = runbookRuns(h);
}, 30_000);
afterAll(async () => h?.close());

/** The question message of step `step` (its Answer button's value names it), once posted in the thread. */
function questionMessage(runId: string, step: string): Promise<Record<string, unknown>> {
  return eventually(() => {
    const posted = h.slack
      .of('chat.postMessage')
      .find((m) => buttons(m).some((b) => b.value === `${runId}:${step}`));
    expect(posted).toBeDefined();
    return posted as Record<string, unknown>;
  });
}

/** The question message as an edit left it, once it says `said`: its text and how many buttons it kept. */
function closedQuestion(said: RegExp): Promise<string> {
  return eventually(() => {
    const edit = h.slack
      .of('chat.update')
      .find((m) => String(m.text).startsWith(':question:') && said.test(String(m.text)));
    expect(edit, `a question edited to say ${said}`).toBeDefined();
    return `${String(edit?.text)}\n${buttons(edit as Record<string, unknown>).length} buttons`;
  });
}

/** `user` presses Answer on question `step`; resolves with the name of the response_url it was given. */
async function pressAnswer(runId: string, step: string, user: string): Promise<string> {
  const name = `answer${++clicks}`;
  const payload = {
    type: 'block_actions',
    team: { id: 'T0TEAM' },
    api_app_id: 'A0OPSBOT',
    user: { id: user },
    channel: { id: 'C0OPS' },
    container: { type: 'message', message_ts: '1.1', channel_id: 'C0OPS' },
    trigger_id: `trigger.${Date.now()}.${clicks}`,
    response_url: h.slack.responseUrl(name),
    actions: [
      {
        type: 'button',
        action_id: 'runbook_answer',
        block_id: `runbook_question:${step}`,
        value: `${runId}:${step}`,
        action_ts: '1',
      },
    ],
  };
  await postSigned(h.url(), new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
  return name;
}

/** `user` presses a button of the run card at `ts`. */
async function pressCard(actionId: string, runId: string, ts: string, user: string): Promise<void> {
  const fields = { messageTs: ts, responseUrl: h.slack.responseUrl(`card${++clicks}`) };
  await postSigned(h.url(), buttonBody(actionId, runId, user, fields));
}

/** The answer modal opened after the first `before` modals. */
function answerModal(before: number): Promise<Record<string, unknown>> {
  return eventually(() => {
    const view = h.slack.modals()[before];
    expect(view?.callback_id).toBe('runbook_answer');
    return view as Record<string, unknown>;
  });
}

/** Submits an answer modal as `user`; resolves with the field errors it was answered with, if any. */
async function submit(
  modal: Record<string, unknown>,
  user: string,
  value: string | { selected: string },
): Promise<Record<string, string> | undefined> {
  const response = await postSigned(h.url(), modalSubmitBody(modal, user, { answer: value }));
  const text = await response.text();
  const body = text.startsWith('{') ? (JSON.parse(text) as { errors?: Record<string, string> }) : {};
  return body.errors;
}

/** What `user` was told ephemerally in C0OPS, the first message matching `pattern`. */
function toldEphemerally(user: string, pattern: RegExp): Promise<string> {
  return eventually(() => {
    const told = h.slack
      .of('chat.postEphemeral')
      .map((m) => ({ user: m.user, text: String(m.text) }))
      .find((m) => m.user === user && pattern.test(m.text));
    expect(told, `told ${user} ${pattern}`).toBeDefined();
    return told?.text as string;
  });
}

/** What the response_url `name` was sent (a click's reply). */
function replied(name: string): Promise<string> {
  return eventually(() => {
    const answer = h.slack.of(`respond/${name}`)[0];
    expect(answer).toBeDefined();
    return String(answer?.text);
  });
}

const answerOf = async (runId: string, step: string) =>
  (await rb.steps(runId)).find((row) => row.name === step)?.result ?? null;

describe('a runbook question answered in its modal', () => {
  it('takes a choice, then a typed value used by a later step, and says on each question who answered', async () => {
    const { runId } = await rb.request('triage bentham study_abc123');
    // The plan's step list gives the questions with the runbook's params filled in.
    const { rows: planned } = await h.db.query('SELECT plan FROM action_runs WHERE id = $1', [runId]);
    expect(JSON.stringify(planned[0].plan)).toContain('ask “How should *study_abc123* be handled?”');
    await rb.step(runId, 'how', ['running']);
    const question = await questionMessage(runId, 'how');
    expect(blockText(question)).toContain('How should *study_abc123* be handled?');
    expect(question.thread_ts).toBeTruthy();

    // The modal offers the question's choices as a select; Alice picks annotate.
    const before = h.slack.modals().length;
    await rb.answer(runId, 'how', 'annotate');
    const modal = h.slack.modals()[before] as { blocks: Record<string, unknown>[]; private_metadata: string };
    expect(JSON.parse(modal.private_metadata)).toEqual({ runId, step: 'how', channel: 'C0OPS' });
    expect(JSON.stringify(modal.blocks)).toContain('"options":[{"text":{"type":"plain_text","text":"retry"}');
    const how = await rb.step(runId, 'how', ['done']);
    expect(how.result).toMatchObject({ choice: 'annotate', by: 'U0ALICE' });
    expect(await closedQuestion(/Answered \*annotate\* by <@U0ALICE>/)).toMatch(/0 buttons$/);

    // when: { step: how, choice: retry } does not hold: touch is skipped and never requested.
    const touch = await rb.step(runId, 'touch', ['skipped']);
    expect(touch.detail).toContain('how is retry is not so (answer annotate)');
    expect(touch.child_run_id).toBeNull();

    // The typed reason must match its pattern: refused in the modal, nothing recorded; then a good one.
    await questionMessage(runId, 'why');
    const opened = h.slack.modals().length;
    await pressAnswer(runId, 'why', 'U0ALICE');
    const form = await answerModal(opened);
    expect(JSON.stringify(form)).toContain('"type":"plain_text_input"');
    expect(JSON.stringify(form)).toContain('Format: ^[a-z ]{3,40}$');
    expect(await submit(form, 'U0ALICE', 'Flaky-Runner!')).toEqual({ answer: 'Must match ^[a-z ]{3,40}$.' });
    expect(await answerOf(runId, 'why')).toBeNull();
    expect(await submit(form, 'U0ALICE', '  flaky runner ')).toBeUndefined();

    // The annotate step's `with: { message: "triage: {why.value}" }` carries the answer into its run.
    await rb.step(runId, 'annotate', ['done']);
    const annotated = await h.bentham.query(
      "SELECT DISTINCT error_message FROM jobs WHERE study_id = 'study_abc123' AND status = 'failed'",
    );
    expect(annotated.rows).toEqual([{ error_message: 'triage: flaky runner' }]);
    expect(await closedQuestion(/Answered \*flaky runner\* by <@U0ALICE>/)).toBeTruthy();

    // A yes/no confirmation: a select of yes and no.
    await questionMessage(runId, 'close');
    const confirmOpened = h.slack.modals().length;
    await rb.answer(runId, 'close', 'yes', 'U0BOB');
    expect(JSON.stringify(h.slack.modals()[confirmOpened])).toContain(
      '"label":{"type":"plain_text","text":"Yes or no"}',
    );
    const end = await rb.ended(runId);
    expect(end.state).toBe('succeeded');
    expect(end.card).toContain('*bye* (done)');
    expect(end.card).toContain('*touch* (skipped)');
    // The card's step list gives each question as it was asked, not its template.
    expect(end.card).toContain('ask “Close the triage of study_abc123?”');
    expect(end.card).not.toContain('{study}');
    const said = h.slack.of('chat.postMessage').map((m) => String(m.text));
    expect(said.join('\n')).toContain('Triage of study_abc123 closed by U0BOB.');
  }, 25_000);

  it('refuses a person without the runbook role (audited), then takes the first of two answers only', async () => {
    const { runId } = await rb.request('triage bentham study_other1');
    await rb.step(runId, 'how', ['running']);
    await questionMessage(runId, 'how');

    // Carol (a viewer) may open the question but not answer it: refused, audited, the question still open.
    let opened = h.slack.modals().length;
    await pressAnswer(runId, 'how', 'U0CAROL');
    const carols = await answerModal(opened);
    expect(await submit(carols, 'U0CAROL', { selected: 'retry' })).toBeUndefined();
    expect(await toldEphemerally('U0CAROL', /needs operator/)).toMatch(/error id/);
    const denied = await h.db.query(
      "SELECT action, detail FROM audit_log WHERE event = 'request.denied' AND actor = 'U0CAROL' AND run_id = $1",
      [runId],
    );
    expect(denied.rows).toEqual([
      { action: 'triage', detail: expect.objectContaining({ checkpoint: 'confirm', channel: 'C0OPS' }) },
    ]);
    expect(await answerOf(runId, 'how')).toBeNull();
    expect((await rb.step(runId, 'how', ['running'])).state).toBe('running');

    // Alice and Bob both open it; Bob answers first; Alice's answer is refused in one sentence naming Bob.
    opened = h.slack.modals().length;
    await pressAnswer(runId, 'how', 'U0ALICE');
    const alices = await answerModal(opened);
    await pressAnswer(runId, 'how', 'U0BOB');
    const bobs = await answerModal(opened + 1);
    expect(await submit(bobs, 'U0BOB', { selected: 'leave' })).toBeUndefined();
    expect(await submit(alices, 'U0ALICE', { selected: 'retry' })).toBeUndefined();
    expect(await toldEphemerally('U0ALICE', /already answered/)).toMatch(
      /^<@U0BOB> already answered this question: \*leave\*\./,
    );
    expect(await answerOf(runId, 'how')).toMatchObject({ choice: 'leave', by: 'U0BOB' });
    const answered = await h.db.query(
      "SELECT actor, detail FROM audit_log WHERE event = 'runbook.step.answered' AND run_id = $1",
      [runId],
    );
    expect(answered.rows).toEqual([{ actor: 'U0BOB', detail: { step: 'how', answer: 'leave' } }]);

    // Pressing Answer again: no modal, the presser is told who answered.
    opened = h.slack.modals().length;
    const again = await pressAnswer(runId, 'how', 'U0ALICE');
    expect(await replied(again)).toMatch(/^<@U0BOB> already answered this question: \*leave\*\./);
    expect(h.slack.modals()).toHaveLength(opened);

    // leave: touch, why and annotate (on why) are all skipped; the runbook goes on to its last question.
    await questionMessage(runId, 'close');
    for (const name of ['touch', 'why', 'annotate'])
      expect((await rb.step(runId, name, ['skipped'])).state).toBe('skipped');
    const child = await h.db.query('SELECT count(*)::int AS n FROM action_runs WHERE parent_run_id = $1', [
      runId,
    ]);
    expect(child.rows[0].n).toBe(0);
    await rb.answer(runId, 'close', 'no');
    expect((await rb.ended(runId)).state).toBe('succeeded');
    expect((await rb.step(runId, 'bye', ['skipped'])).detail).toContain('answer no');
  }, 25_000);

  it('Cancel on the running runbook card, while it waits for an answer, ends it there', async () => {
    const { runId, ts } = await rb.request('triage bentham study_cancel1');
    await rb.step(runId, 'how', ['running']);
    await questionMessage(runId, 'how');
    // The running runbook's card offers Cancel; only its requester may press it.
    const card = await eventually(() => {
      const last = h.slack
        .of('chat.update')
        .filter((m) => m.ts === ts)
        .at(-1);
      expect(last && buttons(last).map((b) => b.label)).toEqual(['Cancel']);
      // The step's detail comes with a later edit than the step's running state.
      expect(blockText(last as Record<string, unknown>)).toContain('waiting for an answer in the thread');
      return last as Record<string, unknown>;
    });
    expect(blockText(card)).toContain('Cancel');
    await pressCard('run_cancel', runId, ts, 'U0BOB');
    expect((await rb.step(runId, 'how', ['running'])).state).toBe('running');
    await pressCard('run_cancel', runId, ts, 'U0ALICE');

    const end = await rb.ended(runId);
    expect(end.state).toBe('cancelled');
    expect(end.error).toBe('Cancelled by <@U0ALICE> between steps.');
    const last = h.slack
      .of('chat.update')
      .filter((m) => m.ts === ts)
      .at(-1) as Record<string, unknown>;
    expect(buttons(last)).toEqual([]);
    // Nothing after the question ran, and the question can no longer be answered.
    const rows = await rb.steps(runId);
    expect(rows.filter((row) => row.name !== 'how').map((row) => row.state)).toEqual(
      Array(5).fill('waiting'),
    );
    const pressed = await pressAnswer(runId, 'how', 'U0ALICE');
    expect(await replied(pressed)).toMatch(
      /^This runbook has ended \(cancelled\); its questions are closed\./,
    );
    expect(await answerOf(runId, 'how')).toBeNull();
  }, 25_000);
});

describe('a runbook question nobody answered in time', () => {
  it('takes no answer once its deadline has passed, and stops the runbook saying so', async () => {
    const { runId } = await rb.request('triage bentham study_late1');
    await questionMessage(runId, 'how');
    const opened = h.slack.modals().length;
    await pressAnswer(runId, 'how', 'U0ALICE');
    const modal = await answerModal(opened);
    await h.db.query(
      "UPDATE runbook_steps SET deadline_at = now() - interval '1 second' WHERE run_id = $1 AND name = 'how'",
      [runId],
    );
    // The store itself refuses it, even past the service's own look at the deadline.
    expect(await new RunbookStore(h.db).answer(runId, 'how', 'U0ALICE', { choice: 'leave' })).toBeUndefined();
    expect(await submit(modal, 'U0ALICE', { selected: 'leave' })).toBeUndefined();
    expect(await toldEphemerally('U0ALICE', /in time/)).toMatch(
      /^Nobody answered in time; this question closed at/,
    );
    const end = await rb.ended(runId);
    expect(end.state).toBe('failed');
    expect(end.error).toMatch(
      /^Stopped at step how: nobody answered “How should \*study_late1\* be handled\?” within 30m/,
    );
    expect(await closedQuestion(/How should \*study_late1\*[\s\S]*Nobody answered in time\./)).toMatch(
      /0 buttons$/,
    );
    expect(await answerOf(runId, 'how')).toBeNull();
  });
});

describe('where a runbook starts', () => {
  /** The runbook run requested by `/ops triage` for `study`, once its first question is asked. */
  async function started(study: string): Promise<string> {
    const runId = await eventually(async () => {
      const { rows } = await h.db.query(
        "SELECT id, kind FROM action_runs WHERE action = 'triage' AND params->>'study' = $1",
        [study],
      );
      expect(rows).toEqual([{ id: expect.any(String), kind: 'runbook' }]);
      return rows[0].id as string;
    });
    await rb.step(runId, 'how', ['running']);
    await questionMessage(runId, 'how');
    return runId;
  }

  it('from the /ops run modal: the runbook is one of the actions, then its params modal', async () => {
    const opened = h.slack.modals().length;
    await postSigned(h.url(), slashBody('run', 'U0ALICE', { responseUrl: h.slack.responseUrl('pick') }));
    const pick = await eventually(() => {
      const view = h.slack.modals()[opened];
      expect(view?.callback_id).toBe('pick_action');
      return view as Record<string, unknown>;
    });
    expect(JSON.stringify(pick)).toContain('"value":"bentham/triage"');
    const picked = {
      ...pick,
      id: 'V0PICK',
      state: {
        values: {
          action: { action: { type: 'static_select', selected_option: { value: 'bentham/triage' } } },
        },
      },
    };
    const body = {
      type: 'view_submission',
      team: { id: 'T0TEAM' },
      api_app_id: 'A0OPSBOT',
      user: { id: 'U0ALICE' },
      view: picked,
    };
    const next = await postSigned(h.url(), new URLSearchParams({ payload: JSON.stringify(body) }).toString());
    const form = ((await next.json()) as { view: Record<string, unknown> }).view;
    expect(form.callback_id).toBe('action_params');
    await postSigned(h.url(), modalSubmitBody(form, 'U0ALICE', { study: 'study_pick1' }));
    await started('study_pick1');
  });

  it("from an alert card's suggested action: its params modal, then the runbook", async () => {
    const opened = h.slack.modals().length;
    const payload = {
      type: 'block_actions',
      team: { id: 'T0TEAM' },
      api_app_id: 'A0OPSBOT',
      user: { id: 'U0ALICE' },
      channel: { id: 'C0OPS' },
      container: { type: 'message', message_ts: '1.1', channel_id: 'C0OPS' },
      trigger_id: `trigger.${Date.now()}.pd`,
      response_url: h.slack.responseUrl('pd'),
      actions: [
        {
          type: 'button',
          action_id: 'pd_action:bentham:triage',
          block_id: 'pd_alert:P1',
          value: 'P1',
          action_ts: '1',
        },
      ],
    };
    await postSigned(h.url(), new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    const form = await eventually(() => {
      const view = h.slack.modals()[opened];
      expect(view?.callback_id).toBe('action_params');
      return view as Record<string, unknown>;
    });
    await postSigned(h.url(), modalSubmitBody(form, 'U0ALICE', { study: 'study_alert1' }));
    await started('study_alert1');
  });
});
