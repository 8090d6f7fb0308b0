import { describeError } from '../describe-error.js';
import { UnavailableError } from '../errors.js';
import { type Run, SYSTEM_ACTOR } from './run.js';
import type { RunStore } from './store.js';

// Runs nobody can see. Without its card nobody could confirm a run or know it ran, so a run whose card could
// not be queued or was refused by Slack ends, unless a worker already took it.

/** Ends a queued run, or cancels a plan awaiting Confirm, whose card will not be seen; false if it moved on. */
export async function abandonUnseen(store: RunStore, run: Run, error: string): Promise<boolean> {
  if (run.state !== 'queued' && run.state !== 'awaiting_confirmation') return false;
  const to = run.state === 'queued' ? 'failed' : 'cancelled';
  return (await store.transition(run.id, to, SYSTEM_ACTOR, { error }, { from: [run.state] })) !== undefined;
}

/**
 * Slack refused the card for good (opsbot is not in the channel): the error to tell the requester. The run
 * ends unless its worker already took it (Slack answered after the job was picked up); then they are told it
 * goes on, so that they do not request it a second time.
 */
export async function cardRefused(store: RunStore, run: Run, error: unknown): Promise<unknown> {
  if (await abandonUnseen(store, run, `The run card could not be posted: ${describeError(error)}`))
    return error;
  if (!(error instanceof UnavailableError)) return error;
  return new UnavailableError(
    `${run.id} had already started when Slack refused its card, so it goes on without one ` +
      `(\`/ops history\` shows how it ends). ${error.message}`,
  );
}

/**
 * Ends a run left queued without a card (the run sweeper finds it): its request was cut off after the run was
 * written and before its card was (PostgreSQL went away), and its requester was told nothing was done, so it
 * must not run.
 */
export async function dropUnseen(store: RunStore, runId: string): Promise<void> {
  const error =
    'Its request was cut off before its card was queued (opsbot lost its database); it did not run.';
  await store.transition(runId, 'failed', SYSTEM_ACTOR, { error }, { from: ['queued'] });
}
