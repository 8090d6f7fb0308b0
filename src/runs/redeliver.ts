import type { ACTIONS_QUEUE, TypedQueue } from '../queue/queues.js';

/** Job states in which BullMQ still hands a job to a worker (an active one once its lock has lapsed). */
const DELIVERABLE = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Gives a run its job again when no worker will be handed the old one (Redis lost it, or it ended without
 * settling the run): a queued run then runs; a running one whose heartbeat stopped is re-run by the executor if
 * idempotent, else interrupted.
 */
export async function redeliverRun(
  queue: TypedQueue<typeof ACTIONS_QUEUE>,
  enqueue: (runId: string) => Promise<void>,
  runId: string,
): Promise<void> {
  const state = await queue.getJobState(runId);
  if (DELIVERABLE.has(state)) return;
  // A finished job keeps its id (removeOnComplete keeps the last ones), so adding it again would do nothing.
  if (state !== 'unknown') await queue.remove(runId);
  await enqueue(runId);
}
