/** A run's lifecycle (DESIGN §4). */
export const RUN_STATES = [
  'planned',
  'awaiting_confirmation',
  'awaiting_approval',
  'queued',
  'running',
  'succeeded',
  'failed',
  'interrupted',
  'rejected',
  'expired',
  'cancelled',
] as const;
export type RunState = (typeof RUN_STATES)[number];

/** Where each state may go; every transition is checked against this and applied as a compare-and-set. */
export const TRANSITIONS: Record<RunState, readonly RunState[]> = {
  planned: ['awaiting_confirmation', 'queued', 'failed'],
  awaiting_confirmation: ['awaiting_approval', 'queued', 'cancelled', 'expired'],
  awaiting_approval: ['queued', 'rejected', 'cancelled', 'expired'],
  queued: ['running', 'failed'],
  // A running runbook may be cancelled: it stops between steps.
  running: ['succeeded', 'failed', 'interrupted', 'cancelled'],
  succeeded: [],
  failed: [],
  interrupted: [],
  rejected: [],
  expired: [],
  cancelled: [],
};

/** States a run never leaves. */
export const FINAL_STATES: readonly RunState[] = RUN_STATES.filter(
  (state) => TRANSITIONS[state].length === 0,
);

/** The states from which `to` may be reached. */
export function sourcesOf(to: RunState): RunState[] {
  return (Object.keys(TRANSITIONS) as RunState[]).filter((from) => TRANSITIONS[from].includes(to));
}
