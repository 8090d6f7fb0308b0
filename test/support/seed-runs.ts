import { expect } from 'vitest';
import { blockText, topCards } from './cards.js';
import { eventually } from './databases.js';
import type { Harness } from './harness.js';
import { buttonBody, postSigned, slashBody } from './signed-requests.js';

/** A run as it ended: its state and error, and the last text of its card. */
export interface FinishedRun {
  state: string;
  error: string | null;
  card: string;
}

/**
 * `/ops` from Slack for an e2e test of actions: requests, button presses, ephemeral replies, incidents and
 * command output, through one harness.
 */
export function slackRuns(h: Harness) {
  let replies = 0;

  /** `/ops <text>` as `user` in `channel`; waits for the new run's card, found by the run's id. */
  async function request(text: string, user = 'U0ALICE', channel = 'C0OPS') {
    const { rows } = await h.db.query('SELECT id FROM action_runs');
    const earlier = new Set(rows.map((row) => row.id as string));
    await postSigned(
      h.url(),
      slashBody(text, user, { channel, responseUrl: h.slack.responseUrl(`seed${++replies}`) }),
    );
    return eventually(async () => {
      // A runbook's step runs have cards too (and may be made before this looks): the request's run has no parent.
      const runs = await h.db.query(
        'SELECT id, message_ts FROM action_runs WHERE message_ts IS NOT NULL AND parent_run_id IS NULL',
      );
      const run = runs.rows.find((row) => !earlier.has(row.id));
      expect(run).toBeDefined();
      const runId = run.id as string;
      const card = topCards(h.slack).find((message) => JSON.stringify(message.blocks).includes(runId));
      expect(card).toBeDefined();
      const shown = card as Record<string, unknown>;
      return { plan: blockText(shown), card: shown, runId, ts: run.message_ts as string };
    });
  }

  /** The run's final state and error, and its card's last text. */
  async function finished(runId: string, ts: string): Promise<FinishedRun> {
    const run = await eventually(async () => {
      const { rows } = await h.db.query('SELECT state, error FROM action_runs WHERE id = $1', [runId]);
      expect(['succeeded', 'failed']).toContain(rows[0].state);
      return rows[0] as { state: string; error: string | null };
    }, 30_000);
    const card = await eventually(() => {
      const last = h.slack
        .of('chat.update')
        .filter((call) => call.ts === ts)
        .at(-1);
      expect(last && blockText(last)).toMatch(run.state === 'succeeded' ? /succeeded/i : /failed/i);
      return blockText(last as Record<string, unknown>);
    });
    return { ...run, card };
  }

  /** `user` presses a button of the run's card (run_confirm, run_approve) in `channel`. */
  async function press(
    actionId: string,
    runId: string,
    ts: string,
    user = 'U0ALICE',
    channel = 'C0OPS',
  ): Promise<void> {
    await postSigned(
      h.url(),
      buttonBody(actionId, runId, user, { channel, messageTs: ts, responseUrl: h.slack.responseUrl() }),
    );
  }

  /** Alice confirms her run (its card in `channel`); resolves when it has ended. */
  async function confirm(runId: string, ts: string, channel = 'C0OPS'): Promise<FinishedRun> {
    await press('run_confirm', runId, ts, 'U0ALICE', channel);
    return finished(runId, ts);
  }

  /** Alice confirms her high-risk run and Bob, another operator, approves it; resolves when it has ended. */
  async function confirmAndApprove(runId: string, ts: string): Promise<FinishedRun> {
    await press('run_confirm', runId, ts);
    await eventually(async () => {
      const { rows } = await h.db.query('SELECT state FROM action_runs WHERE id = $1', [runId]);
      expect(rows[0].state).toBe('awaiting_approval');
    });
    await press('run_approve', runId, ts, 'U0BOB');
    return finished(runId, ts);
  }

  /** What `user` is told ephemerally after `/ops <text>`. */
  async function reply(text: string, user = 'U0ALICE'): Promise<string> {
    const name = `seed${++replies}`;
    await postSigned(h.url(), slashBody(text, user, { responseUrl: h.slack.responseUrl(name) }));
    return eventually(() => {
      const answer = h.slack.of(`respond/${name}`)[0];
      expect(answer).toBeDefined();
      return String(answer?.text);
    });
  }

  /** `/ops <text>` with a param that is refused: the error the modal opened for it shows; no run is made. */
  async function refusedParams(text: string, user = 'U0ALICE'): Promise<string> {
    const opened = h.slack.modals().length;
    await postSigned(
      h.url(),
      slashBody(text, user, { responseUrl: h.slack.responseUrl(`seed${++replies}`) }),
    );
    return eventually(() => {
      const modal = h.slack.modals()[opened] as {
        callback_id?: string;
        blocks?: { text?: { text?: string } }[];
      };
      expect(modal?.callback_id).toBeDefined();
      expect(modal?.callback_id).not.toBe('checking');
      return String(modal.blocks?.[0]?.text?.text);
    });
  }

  /** The result posted in the thread of the card at `ts` (not a command's output): its text and blocks. */
  function resultInThread(ts: string): Promise<string> {
    return eventually(() => {
      const reply = h.slack
        .of('chat.postMessage')
        .find((m) => m.thread_ts === ts && !String(m.text).startsWith('*Output* of'));
      expect(reply).toBeDefined();
      return `${String(reply?.text)}\n${blockText(reply as Record<string, unknown>)}`;
    });
  }

  /** Whether the card at `ts` has a command output message in its thread. */
  function hasOutputInThread(ts: string): boolean {
    return h.slack
      .of('chat.postMessage')
      .some((m) => m.thread_ts === ts && String(m.text).startsWith('*Output* of'));
  }

  /** The command output messages (those whose title holds `title`), as posted and as each edit left them. */
  function outputs(title = ''): string[] {
    return [...h.slack.of('chat.postMessage'), ...h.slack.of('chat.update')]
      .map((m) => String(m.text ?? ''))
      .filter((text) => text.startsWith('*Output* of') && text.split('\n')[0]?.includes(title));
  }

  /** Declares a SEV2 incident from C0OPS as Alice; resolves with its id and channel. */
  async function declare(title: string): Promise<{ id: string; channel: string }> {
    await postSigned(
      h.url(),
      slashBody(`incident declare SEV2 ${title}`, 'U0ALICE', {
        responseUrl: h.slack.responseUrl(`seed${++replies}`),
      }),
    );
    return eventually(async () => {
      const { rows } = await h.db.query('SELECT id, channel_id FROM incidents WHERE title = $1', [title]);
      expect(rows).toHaveLength(1);
      return { id: rows[0].id as string, channel: rows[0].channel_id as string };
    }, 25_000);
  }

  return {
    request,
    finished,
    confirm,
    confirmAndApprove,
    reply,
    refusedParams,
    resultInThread,
    hasOutputInThread,
    outputs,
    declare,
  };
}
