import type { Logger } from '../log.js';
import type { StepView } from '../runbooks/ports.js';
import type { Run } from './run.js';

/** Where runs are shown: the card in the channel, edited in place, and its thread. */
export interface RunCards {
  /**
   * Queues the card ahead of its channel's backlog. `shown` then waits for Slack to take it: its ts, or
   * undefined when Slack has not within the wait (the card stays queued and is posted once Slack answers);
   * it throws when Slack refused the card for good (opsbot is not in the channel).
   */
  post(run: Run): Promise<PostedCard>;
  /**
   * Edits the card in place; `progress` is a line about a long execution under way, `steps` a runbook's
   * steps with their states.
   */
  update(run: Run, progress?: string, steps?: StepView[]): Promise<void>;
  /** Posts the outcome in the card's thread. */
  reply(run: Run): Promise<void>;
  /** Posts a line of text in the card's thread (a reminder, a follow-up). */
  note(run: Run, text: string): Promise<void>;
  /**
   * Shows a command's output in the card's thread: one message per `key`, posted the first time (`edit`
   * false) and edited in place after.
   */
  output(run: Run, output: { key: string; text: string; edit: boolean }): Promise<void>;
  /** Shares a file from disk in the card's thread (a command's whole output), read as a stream. */
  attach(run: Run, file: FileAttachment): Promise<void>;
}

/** A card on its way to Slack. */
export interface PostedCard {
  shown(): Promise<string | undefined>;
}

/** A file on disk to share in a run's thread. */
export interface FileAttachment {
  path: string;
  filename: string;
  title: string;
  comment: string;
}

/** Edits the card; best effort: the run's truth is its row, and a failed edit must not undo a transition. */
export function showCard(
  cards: RunCards,
  log: Logger,
  run: Run,
  progress?: string,
  steps?: StepView[],
): Promise<void> {
  return safely(log, run, () => cards.update(run, progress, steps));
}

/** Posts the outcome in the card's thread; best effort, like showCard. */
export function replyOnCard(cards: RunCards, log: Logger, run: Run): Promise<void> {
  return safely(log, run, () => cards.reply(run));
}

async function safely(log: Logger, run: Run, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    log.warn({ err: error, runId: run.id }, 'could not update the run card');
  }
}
