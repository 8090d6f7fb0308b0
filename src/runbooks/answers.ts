import { findAction } from '../actions/catalog.js';
import type { Authorizer } from '../auth/authorizer.js';
import type { OpsConfig } from '../config/ops-config.js';
import { ConflictError, NotFoundError, UserError } from '../errors.js';
import { authorizeRun } from '../runs/authorize-run.js';
import type { Run } from '../runs/run.js';
import type { RunStore } from '../runs/store.js';
import type { Question } from './ports.js';
import { questionOf } from './steps/ask.js';
import type { RunbookStore, StepResult, StepRow } from './store.js';
import { fillers } from './template.js';

/** The longest value a person may type as an answer (it may go into a later step's `with:`). */
export const ANSWER_MAX_LENGTH = 200;

export interface RunbookAnswersDeps {
  config: Pick<OpsConfig, 'services'>;
  runStore: Pick<RunStore, 'get'>;
  store: Pick<RunbookStore, 'steps' | 'answer'>;
  authorizer: Authorizer;
}

/** An answer as it was taken: recorded (what was said), or refused with a sentence for the modal's field. */
export type AnswerOutcome = { recorded: true; said: string } | { recorded: false; problem: string };

/** A question step that is open now: its run, and the question as it was asked. */
interface OpenQuestion {
  run: Run;
  question: Question;
}

/**
 * A runbook's questions as people answer them (the Answer button and its modal): the question as it was
 * asked, refused clearly once it is closed; an answer from someone who holds the runbook's role in its
 * channel, checked against the question, recorded once (the first answer wins). The runbook's engine sees
 * the answer at its next look and goes on.
 */
export class RunbookAnswers {
  constructor(private readonly deps: RunbookAnswersDeps) {}

  /** The question step `step` of runbook run `runId` asks, for its modal; a ConflictError once it is closed. */
  async question(actor: string, runId: string, step: string): Promise<Question> {
    return (await this.open(actor, runId, step)).question;
  }

  /**
   * What is wrong with `raw` as an answer to this open question, for the modal's field; undefined when
   * nothing is. Reads only PostgreSQL, so a modal can be answered with it before the 3 s Slack allows.
   */
  async check(actor: string, runId: string, step: string, raw: string): Promise<string | undefined> {
    const checked = checkAnswer((await this.open(actor, runId, step)).question, raw);
    return checked.ok ? undefined : checked.problem;
  }

  /**
   * `actor` answers with `raw` (a choice, yes/no, or typed text). A value the question does not take comes
   * back as a problem and nothing is recorded; anyone not holding the runbook's role on its service in its
   * channel is refused (and audited); a question answered meanwhile is a ConflictError saying by whom.
   */
  async answer(actor: string, runId: string, step: string, raw: string): Promise<AnswerOutcome> {
    const { run, question } = await this.open(actor, runId, step);
    const checked = checkAnswer(question, raw);
    if (!checked.ok) return { recorded: false, problem: checked.problem };
    await authorizeRun(this.deps.authorizer, this.deps.config, run, actor, 'confirm');
    const answer: StepResult = question.input ? { value: checked.value } : { choice: checked.value };
    if (await this.deps.store.answer(run.id, step, actor, answer)) {
      return { recorded: true, said: checked.value };
    }
    // Someone answered first, or the question closed, between the look above and the write: say which.
    await this.open(actor, runId, step);
    throw new ConflictError('This question is no longer open.');
  }

  /** The run and its question, or a ConflictError saying why the question is not open. */
  private async open(actor: string, runId: string, name: string): Promise<OpenQuestion> {
    const run = await this.deps.runStore.get(runId);
    if (run?.kind !== 'runbook') throw new NotFoundError(`There is no runbook run ${runId}.`);
    const config = findAction(this.deps.config, run.service, run.action);
    if (config?.kind !== 'runbook') {
      throw new NotFoundError(`${run.action} is no longer a runbook of ${run.service} in ops.yml.`);
    }
    const step = config.steps.find((each) => each.name === name);
    if (step?.type !== 'ask') throw new NotFoundError(`${run.action} has no question called ${name}.`);
    const rows = await this.deps.store.steps(run.id);
    const row = rows.find((each) => each.name === name);
    const closed = closedBecause(actor, run, row, new Date());
    if (closed || !row?.deadline_at)
      throw new ConflictError(closed ?? 'This question has not been asked yet.');
    return {
      run,
      question: questionOf({ run, step, fill: fillers(run.params, rows).fill }, row.deadline_at),
    };
  }
}

/** Why a question may not be answered now, in one sentence; undefined while it is open. */
function closedBecause(actor: string, run: Run, row: StepRow | undefined, now: Date): string | undefined {
  const by = row?.result?.by;
  if (by) {
    const said = row.result?.choice ?? row.result?.value ?? '';
    const who = by === actor ? 'You' : `<@${by}>`;
    return `${who} already answered this question: *${said}*.`;
  }
  if (run.state !== 'running') {
    return `This runbook has ended (${run.state.replace('_', ' ')}); its questions are closed.`;
  }
  if (run.cancel_requested_by) {
    return `<@${run.cancel_requested_by}> cancelled this runbook; its questions are closed.`;
  }
  if (!row || row.state === 'waiting') return 'This question has not been asked yet.';
  if (row.state === 'skipped')
    return `This question was skipped (${row.detail ?? 'its condition did not hold'}).`;
  const timedOut = row.deadline_at !== null && now >= row.deadline_at;
  if (timedOut || row.state !== 'running') {
    const when = row.deadline_at ? ` at ${row.deadline_at.toISOString().slice(11, 16)} UTC` : '';
    return timedOut
      ? `Nobody answered in time; this question closed${when}.`
      : `This question is closed: ${row.detail ?? row.state}.`;
  }
  return undefined;
}

/** A raw answer checked against the question: one of its choices (yes/no), or typed text matching its pattern. */
export function checkAnswer(
  question: Question,
  raw: string,
): { ok: true; value: string } | { ok: false; problem: string } {
  const value = raw.trim();
  if (question.input) {
    if (value === '') return { ok: false, problem: `Type the ${question.input.label}.` };
    if (value.length > ANSWER_MAX_LENGTH) {
      return { ok: false, problem: `Must be at most ${ANSWER_MAX_LENGTH} characters.` };
    }
    const { pattern } = question.input;
    if (pattern !== undefined && !patternOf(pattern).test(value)) {
      return { ok: false, problem: `Must match ${pattern}.` };
    }
    return { ok: true, value };
  }
  const choices = question.choices ?? [];
  if (!choices.includes(value)) return { ok: false, problem: `Pick one of ${choices.join(', ')}.` };
  return { ok: true, value };
}

function patternOf(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch {
    throw new UserError(
      `This question's pattern (${pattern}) is not a valid regular expression; fix ops.yml.`,
    );
  }
}
