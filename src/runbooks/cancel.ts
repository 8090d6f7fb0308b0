import type { RunbookAction } from '../actions/runbook.js';
import { type RunCards, showCard } from '../runs/cards.js';
import { type Run, SYSTEM_ACTOR } from '../runs/run.js';
import type { RunState } from '../runs/states.js';
import type { StepOf } from './config.js';
import type { StepDeps } from './step-runner.js';
import { questionOf } from './steps/ask.js';
import type { StepRow } from './store.js';
import { fillers } from './template.js';

// A runbook's Cancel (DESIGN §11): it stops before its next step. What it withdraws, and what it waits for.

/** A step's run in these states was never queued: a Cancel of its runbook withdraws it. */
const UNQUEUED: readonly RunState[] = [
  'planned',
  'awaiting_confirmation',
  'awaiting_approval',
  'cancelled',
  'expired',
  'rejected',
];

/**
 * Whether the step under way has a run that was queued: nothing may stop it halfway, so the step waits for
 * it to end and records how, as it would without a Cancel.
 */
export async function stepRunQueued(runStore: StepDeps['runStore'], rows: StepRow[]): Promise<boolean> {
  for (const row of rows) {
    if (row.state !== 'running' || !row.child_run_id) continue;
    const child = await runStore.get(row.child_run_id);
    if (child && !UNQUEUED.includes(child.state)) return true;
  }
  return false;
}

/**
 * The step a cancelled runbook was on ends with it (failed, so its card line and question are not left
 * open), and its step run still waiting for Confirm or Approve is cancelled with it.
 */
export async function withdrawSteps(
  deps: Pick<StepDeps, 'store' | 'runStore' | 'posts' | 'log'> & { cards: RunCards },
  run: Run,
  config: RunbookAction | undefined,
  rows: StepRow[],
): Promise<void> {
  const by = run.cancel_requested_by ?? SYSTEM_ACTOR;
  for (const row of rows) {
    if (row.state !== 'running') continue;
    await deps.store.finish(run.id, row.position, 'failed', by, {
      detail: `stopped: <@${by}> cancelled the runbook`,
    });
    const step = config?.steps[row.position];
    if (step?.type === 'ask')
      await closeQuestion(deps, run, step, rows, row, `<@${by}> cancelled the runbook.`);
    if (!row.child_run_id) continue;
    const child = await deps.runStore.transition(
      row.child_run_id,
      'cancelled',
      by,
      {},
      { from: ['awaiting_confirmation', 'awaiting_approval'] },
    );
    if (child) await showCard(deps.cards, deps.log, child);
  }
}

/** An open question's message edited to say how it ended, without its Answer button. */
async function closeQuestion(
  deps: Pick<StepDeps, 'posts' | 'log'>,
  run: Run,
  step: StepOf<'ask'>,
  rows: StepRow[],
  row: StepRow,
  outcome: string,
): Promise<void> {
  try {
    const question = questionOf(
      { step, fill: fillers(run.params, rows).fill, run },
      row.deadline_at ?? new Date(),
    );
    await deps.posts.closeQuestion(run, question, outcome);
  } catch (error) {
    deps.log.warn({ err: error, runId: run.id, step: step.name }, 'could not close a question');
  }
}
