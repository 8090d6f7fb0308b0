import { expect } from 'vitest';
import type { RunState } from '../../src/runs/states.js';
import { stateLabel } from '../../src/slack/views/run-card.js';
import { blockText } from './cards.js';
import { eventually } from './databases.js';
import type { Harness } from './harness.js';
import { slackRuns } from './seed-runs.js';
import { modalSubmitBody, postSigned } from './signed-requests.js';

/** A step's row as a test reads it. */
export interface StepRow {
  name: string;
  state: string;
  detail: string | null;
  child_run_id: string | null;
  result: Record<string, unknown> | null;
}

/**
 * Runbooks from Slack for an e2e test: start one with `/ops`, follow its steps in runbook_steps, find the run
 * an action step made (and its card), answer a question through its Answer button and modal, and read the
 * runbook's end. Everything else (Confirm, Approve) is slackRuns(h).
 */
export function runbookRuns(h: Harness) {
  const runs = slackRuns(h);

  async function steps(runId: string): Promise<StepRow[]> {
    const { rows } = await h.db.query(
      'SELECT name, state, detail, child_run_id, result FROM runbook_steps WHERE run_id = $1 ORDER BY position',
      [runId],
    );
    return rows as StepRow[];
  }

  /** Waits until step `name` is in one of `states`; returns its row. */
  function step(runId: string, name: string, states: string[], timeoutMs = 20_000): Promise<StepRow> {
    return eventually(async () => {
      const row = (await steps(runId)).find((each) => each.name === name);
      expect(row?.state, `step ${name}: ${row?.detail}`).toBeOneOf(states);
      return row as StepRow;
    }, timeoutMs);
  }

  /** The run action step `name` made, once its card is posted: its id, card ts and state. */
  function stepRun(runId: string, name: string, timeoutMs = 20_000) {
    return eventually(async () => {
      const { rows } = await h.db.query(
        `SELECT r.id, r.message_ts, r.state FROM runbook_steps s JOIN action_runs r ON r.id = s.child_run_id
         WHERE s.run_id = $1 AND s.name = $2`,
        [runId, name],
      );
      expect(rows[0]?.message_ts).toBeTruthy();
      return rows[0] as { id: string; message_ts: string; state: string };
    }, timeoutMs);
  }

  /**
   * `user` presses Answer on question step `name` and submits its modal with `value` (a choice or a typed
   * value); resolves with what the modal was (its blocks' text) once the submission is answered.
   */
  async function answer(runId: string, name: string, value: string, user = 'U0ALICE', channel = 'C0OPS') {
    // As a person would: once the question with its Answer button is in the thread.
    await eventually(() => {
      const asked = h.slack.calls.some(
        (call) =>
          call.method === 'chat.postMessage' &&
          call.status === 200 &&
          JSON.stringify(call.args.blocks ?? []).includes(`"${runId}:${name}"`),
      );
      expect(asked, `question ${name} posted`).toBe(true);
    }, 20_000);
    const opened = h.slack.modals().length;
    const payload = {
      type: 'block_actions',
      team: { id: 'T0TEAM' },
      api_app_id: 'A0OPSBOT',
      user: { id: user },
      channel: { id: channel },
      container: { type: 'message', message_ts: '1.1', channel_id: channel },
      trigger_id: `trigger.${Date.now()}`,
      response_url: h.slack.responseUrl(),
      actions: [
        {
          type: 'button',
          action_id: 'runbook_answer',
          block_id: `runbook_question:${name}`,
          value: `${runId}:${name}`,
          action_ts: '1',
        },
      ],
    };
    await postSigned(h.url(), new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    const modal = await eventually(() => {
      const view = h.slack.modals()[opened] as Record<string, unknown> | undefined;
      expect(view?.callback_id).toBe('runbook_answer');
      return view as Record<string, unknown>;
    }, 20_000);
    const choices = JSON.stringify(modal).includes('static_select');
    return postSigned(
      h.url(),
      modalSubmitBody(modal, user, { answer: choices ? { selected: value } : value }),
    );
  }

  /** Waits until the runbook has ended; its state and error, and its card's last text. */
  async function ended(runId: string, timeoutMs = 30_000) {
    const run = await eventually(async () => {
      const { rows } = await h.db.query('SELECT state, error, message_ts FROM action_runs WHERE id = $1', [
        runId,
      ]);
      expect(rows[0].state).toBeOneOf(['succeeded', 'failed', 'cancelled', 'interrupted']);
      // A runbook may end before Slack took its card: its ts comes with the card.
      expect(rows[0].message_ts).toBeTruthy();
      return rows[0] as { state: string; error: string | null; message_ts: string };
    }, timeoutMs);
    // As long as for the run: a worker killed while sending in the card's channel holds it for its lease (30 s).
    const card = await eventually(() => {
      const last = h.slack
        .of('chat.update')
        .filter((call) => call.ts === run.message_ts)
        .at(-1);
      // The state line under the title: step details may say `succeeded` or `failed` while it still runs.
      expect(last && blockText(last).split('\n')[1]).toBe(stateLabel(run.state as RunState));
      return blockText(last as Record<string, unknown>);
    }, timeoutMs);
    return { state: run.state, error: run.error, card };
  }

  return { ...runs, steps, step, stepRun, answer, ended };
}
