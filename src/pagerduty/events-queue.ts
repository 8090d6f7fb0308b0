import type { Worker } from 'bullmq';
import {
  addJob,
  addJobs,
  createWorker,
  PAGERDUTY_QUEUE,
  type QueueConnection,
  type TypedQueue,
} from '../queue/queues.js';

/** A producer's handle on the PagerDuty queue. */
export type PagerDutyQueue = TypedQueue<typeof PAGERDUTY_QUEUE>;

/** The job id of a stored event: derived from its row id, never all digits, never a ':'. */
export function eventJobId(eventRowId: string): string {
  return `pd-event-${eventRowId}`;
}

/**
 * Adds the jobs of newly stored events, in one round trip; BullMQ ignores an add while a job of that id
 * exists, failed or not.
 */
export async function enqueuePagerDutyEvents(queue: PagerDutyQueue, eventRowIds: string[]): Promise<void> {
  await addJobs(
    queue,
    'event',
    eventRowIds.map((eventRowId) => ({ data: { eventRowId }, opts: { jobId: eventJobId(eventRowId) } })),
  );
}

/** Adds the event's job; BullMQ ignores the add while a job of that id exists, failed or not. */
async function enqueuePagerDutyEvent(queue: PagerDutyQueue, eventRowId: string): Promise<void> {
  await addJob(queue, 'event', { eventRowId }, { jobId: eventJobId(eventRowId) });
}

/** What requeuePagerDutyEvent did: nothing (the job is waiting, delayed or running), or how it revived it. */
export type Requeued = 'alive' | 'retried' | 'added';

/**
 * Makes sure an unhandled event has a live job (a new event, a PagerDuty redelivery, the sweep): retries its job when it is finished (failed all its attempts,
 * with the attempts counted afresh), adds it again when Redis no longer has it. `add` alone would not do:
 * it ignores a job id that still exists, failed or not.
 */
export async function requeuePagerDutyEvent(queue: PagerDutyQueue, eventRowId: string): Promise<Requeued> {
  const job = await queue.getJob(eventJobId(eventRowId));
  if (!job) {
    await enqueuePagerDutyEvent(queue, eventRowId);
    return 'added';
  }
  const state = await job.getState();
  if (state === 'failed' || state === 'completed') {
    // Attempts are not reset: a revived job that fails again gives up after one attempt (one error log),
    // so an event that always fails costs one try per sweep, not five.
    try {
      await job.retry(state);
    } catch (error) {
      // Revived meanwhile by another caller (a sweep and a PagerDuty redelivery at once).
      if (['waiting', 'active', 'delayed', 'prioritized'].includes(await job.getState())) return 'alive';
      throw error;
    }
    return 'retried';
  }
  if (state === 'unknown') {
    // Its data outlived its place in the queue: start it again.
    await queue.remove(job.id ?? eventJobId(eventRowId));
    await enqueuePagerDutyEvent(queue, eventRowId);
    return 'added';
  }
  return 'alive';
}

/**
 * Schedules one edit of a storm's roll-up card in `delayMs`. `since` (when the card was last queued) is in the
 * job id, so every change until that edit runs schedules the same job once.
 */
export async function scheduleStormEdit(
  queue: PagerDutyQueue,
  stormId: string,
  since: string,
  delayMs: number,
): Promise<void> {
  await addJob(
    queue,
    'storm-edit',
    { stormId },
    { jobId: `pd-storm-${stormId}-${since}`, delay: Math.max(0, Math.ceil(delayMs)) },
  );
}

/** What the worker does with each kind of job. */
export interface PagerDutyHandlers {
  event(eventRowId: string): Promise<void>;
  stormEdit(stormId: string): Promise<void>;
}

/** The worker: hands each job's row id, checked against the queue map, to its handler. */
export function createPagerDutyWorker(handlers: PagerDutyHandlers, on: QueueConnection): Worker {
  return createWorker(
    PAGERDUTY_QUEUE,
    {
      event: ({ eventRowId }) => handlers.event(eventRowId),
      'storm-edit': ({ stormId }) => handlers.stormEdit(stormId),
    },
    on,
  );
}
