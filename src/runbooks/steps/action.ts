import { createHash } from 'node:crypto';
import { requireAction } from '../../actions/catalog.js';
import { checkParams } from '../../actions/params.js';
import { UserError } from '../../errors.js';
import { REFUSED_AT_EXECUTION } from '../../runs/executor.js';
import type { Run } from '../../runs/run.js';
import type { StepInput, StepOutcome, StepRunner } from '../step-runner.js';
import type { StepResult } from '../store.js';

const ENDED_WELL = ['succeeded'];
const ENDED = ['succeeded', 'failed', 'interrupted', 'rejected', 'expired', 'cancelled'];

/**
 * Runs one of the service's actions as a run of its own (its card, plan, Confirm or Approve, its worker's
 * checks), requested as the runbook's requester; done when that run succeeds, failed with its reason when it
 * ends otherwise. The run's id comes from the runbook's and the step's, so a resumed runbook finds it again
 * rather than request it twice.
 */
export const actionStep: StepRunner<'action'> = async (input, deps) => {
  const { run, step } = input;
  const childId = stepRunId(run.id, step.name);
  let child = await deps.runStore.get(childId);
  if (!child) {
    const config = requireAction(deps.config, run.service, step.action);
    const checked = checkParams(config.params, stepParams(input, Object.keys(config.params)));
    if (!checked.ok) {
      const problems = Object.entries(checked.errors).map(([name, error]) => `${name}: ${error}`);
      throw new UserError(`The params for ${step.action} are not valid (${problems.join('; ')}).`);
    }
    child = await deps.runs.requestStep({
      id: childId,
      parentRunId: run.id,
      actor: run.requested_by,
      channel: run.channel_id,
      service: run.service,
      action: step.action,
      params: checked.values,
    });
  }
  await deps.store.progress(run.id, input.row.position, { childRunId: child.id });
  return outcomeOf(child, input.now, deps.pollMs);
};

/** The step's run's id: the same for the same runbook run and step, in the shape of every run id. */
export function stepRunId(runbookRunId: string, step: string): string {
  return `run_${createHash('sha256').update(`${runbookRunId}:${step}`).digest('hex').slice(0, 12)}`;
}

/** `with:` filled in, and the runbook's own params passed on to the action's params of the same name. */
function stepParams(input: StepInput<'action'>, declared: string[]): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const name of declared) {
    const value = input.run.params[name];
    if (value !== undefined) raw[name] = String(value);
  }
  for (const [name, value] of Object.entries(input.step.with)) {
    raw[name] = typeof value === 'number' ? String(value) : input.fill(value);
  }
  return raw;
}

function outcomeOf(child: Run, now: Date, pollMs: number): StepOutcome {
  if (ENDED_WELL.includes(child.state)) return { kind: 'done', result: resultOf(child), line: lineOf(child) };
  if (ENDED.includes(child.state)) {
    return {
      kind: 'failed',
      reason: `${child.action} (${child.id}) ${child.state.replace('_', ' ')}: ${child.error ?? 'no details'}`,
      result: resultOf(child),
      // Refused at its worker (the role was lost after Confirm): a refusal stops the runbook, as at request.
      stop: child.error?.startsWith(REFUSED_AT_EXECUTION) === true,
    };
  }
  return { kind: 'blocked', wakeAt: new Date(now.getTime() + pollMs), detail: waitingFor(child) };
}

function waitingFor(child: Run): string {
  switch (child.state) {
    case 'awaiting_confirmation':
      return `waiting for <@${child.requested_by}> to confirm ${child.action} (${child.id})`;
    case 'awaiting_approval':
      return `waiting for a second person to approve ${child.action} (${child.id})`;
    case 'running':
      return `${child.action} is running (${child.id})`;
    default:
      return `${child.action} is ${child.state.replace('_', ' ')} (${child.id})`;
  }
}

function lineOf(child: Run): string {
  return `${child.action} succeeded: ${child.result?.summary ?? 'done'}`;
}

/** What later steps may read: the run's state and exit code, its result table's rows and columns. */
function resultOf(child: Run): StepResult {
  const table = child.result?.table;
  return {
    state: child.state,
    ...(child.exit_code !== null ? { exit_code: child.exit_code } : {}),
    ...(table
      ? {
          rows: table.total,
          columns: Object.fromEntries(
            table.columns.map((column, i) => [column, table.rows.slice(0, 50).map((row) => row[i] ?? '')]),
          ),
        }
      : {}),
  };
}
