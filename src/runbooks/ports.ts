import type { Run } from '../runs/run.js';
import type { StepState } from './store.js';

/** One step as the runbook's card shows it. */
export interface StepView {
  name: string;
  /** What it does: `run restart, if api is warning or critical`. */
  does: string;
  state: StepState;
  /** What a running step waits for, why one was skipped or failed, what one found. */
  detail: string | null;
}

/** A question step as Slack shows it: a message in the runbook's thread with an Answer button and its modal. */
export interface Question {
  runId: string;
  step: string;
  text: string;
  /** A choice among these (a yes/no confirmation is choices [yes, no] with `confirm`). */
  choices?: string[];
  confirm?: boolean;
  /** A value to type. */
  input?: { label: string; pattern?: string };
  deadline: Date;
}

/** Where a runbook is told: its card's thread (the card itself is edited through RunCards). */
export interface RunbookPosts {
  /** A line in the card's thread, posted once per key. */
  note(run: Run, key: string, text: string): Promise<void>;
  /** A message in another channel (an incident's), posted once per key. */
  announce(channel: string, key: string, text: string): Promise<void>;
  /** The question in the card's thread, with its Answer button; posted once. */
  ask(run: Run, question: Question): Promise<void>;
  /** The question message edited to say how it ended (`Answered yes by @alice`, `Nobody answered in 30m`). */
  closeQuestion(run: Run, question: Question, outcome: string): Promise<void>;
}

/** The incident timeline, for runbooks run in an incident channel. */
export interface RunbookTimeline {
  /** Records a line for the incident whose channel the run is in, once per source; nothing elsewhere. */
  record(run: Run, text: string, source: string): Promise<void>;
}
