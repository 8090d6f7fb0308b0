import { formatDuration } from '../../config/duration.js';
import type { StepRunner } from '../step-runner.js';

/**
 * `wait: { for }`: done when the time has passed. `wait: { until, timeout, every }`: looks at the check every
 * `every` and is done when it is ok; failed when it is not ok by the timeout. The end time is kept in the
 * step's row (deadline_at), so a wait survives a restart and is not started over.
 */
export const waitStep: StepRunner<'wait'> = async ({ run, step, row, now }, deps) => {
  const { wait } = step;
  if ('for' in wait) {
    const end = row.deadline_at ?? new Date(now.getTime() + wait.for);
    if (row.deadline_at === null) await deps.store.progress(run.id, row.position, { deadlineAt: end });
    if (now >= end) return { kind: 'done', line: `waited ${formatDuration(wait.for)}` };
    // Looked at every poll rather than only at its end, so a Cancel is seen while it waits.
    const next = new Date(Math.min(end.getTime(), now.getTime() + deps.pollMs));
    return { kind: 'blocked', wakeAt: next, detail: `waiting until ${clock(end)}` };
  }
  const deadline = row.deadline_at ?? new Date(now.getTime() + wait.timeout);
  if (row.deadline_at === null) await deps.store.progress(run.id, row.position, { deadlineAt: deadline });
  const result = await deps.check(run.service, wait.until);
  if (result.level === 'ok') {
    return { kind: 'done', result: { level: 'ok' }, line: `${wait.until} is ok: ${result.detail}` };
  }
  if (now >= deadline) {
    return {
      kind: 'failed',
      reason: `${wait.until} was still ${result.level} after ${formatDuration(wait.timeout)}: ${result.detail}`,
      result: { level: result.level },
    };
  }
  const next = new Date(Math.min(now.getTime() + wait.every, deadline.getTime()));
  return {
    kind: 'blocked',
    wakeAt: next,
    detail: `${wait.until} is ${result.level}; looking again every ${formatDuration(wait.every)} until ${clock(deadline)}`,
  };
};

function clock(at: Date): string {
  return `${at.toISOString().slice(11, 19)} UTC`;
}
