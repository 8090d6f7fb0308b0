import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../log.js';

/** The queue that carries stored PagerDuty events from the web role to workers, and spaced roll-up edits. */
export const PAGERDUTY_QUEUE = 'pagerduty-events';

/** Job data: row ids only; the rows are the truth. */
const EventJob = z.strictObject({ eventRowId: z.string().regex(/^\d+$/) });
const StormEditJob = z.strictObject({ stormId: z.string().regex(/^\d+$/) });
export type PagerDutyJob = z.infer<typeof EventJob> | z.infer<typeof StormEditJob>;

/** Jobs handled at once by one process; events of one PagerDuty service wait for each other anyway. */
const CONCURRENCY = 4;

const KEEP = { removeOnComplete: { count: 1000 }, removeOnFail: { count: 5000 } } as const;

export function createPagerDutyQueue(connection: Redis, prefix: string, log: Logger): Queue<PagerDutyJob> {
  const queue = new Queue<PagerDutyJob>(PAGERDUTY_QUEUE, { connection, prefix });
  queue.on('error', (error) => log.warn({ err: { message: error.message } }, 'PagerDuty queue error'));
  return queue;
}

/** The job id of a stored event: derived from its row id, never all digits, never a ':'. */
export function eventJobId(eventRowId: string): string {
  return `pd-event-${eventRowId}`;
}

/** Adds the event's job; BullMQ ignores the add while a job of that id exists, failed or not. */
async function enqueuePagerDutyEvent(queue: Queue<PagerDutyJob>, eventRowId: string): Promise<void> {
  await queue.add('event', EventJob.parse({ eventRowId }), {
    jobId: eventJobId(eventRowId),
    attempts: 5,
    backoff: { type: 'exponential', delay: 1_000 },
    ...KEEP,
  });
}

/** What requeuePagerDutyEvent did: nothing (the job is waiting, delayed or running), or how it revived it. */
export type Requeued = 'alive' | 'retried' | 'added';

/**
 * Makes sure an unhandled event has a live job (a new event, a PagerDuty redelivery, the sweep): retries its job when it is finished (failed all its attempts,
 * with the attempts counted afresh), adds it again when Redis no longer has it. `add` alone would not do:
 * it ignores a job id that still exists, failed or not.
 */
export async function requeuePagerDutyEvent(
  queue: Queue<PagerDutyJob>,
  eventRowId: string,
): Promise<Requeued> {
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
  queue: Queue<PagerDutyJob>,
  stormId: string,
  since: string,
  delayMs: number,
): Promise<void> {
  await queue.add('storm-edit', StormEditJob.parse({ stormId }), {
    jobId: `pd-storm-${stormId}-${since}`,
    delay: Math.max(0, Math.ceil(delayMs)),
    attempts: 5,
    backoff: { type: 'exponential', delay: 1_000 },
    ...KEEP,
  });
}

/** What the worker does with each kind of job. */
export interface PagerDutyHandlers {
  event(eventRowId: string): Promise<void>;
  stormEdit(stormId: string): Promise<void>;
}

/** The worker: validates job data and hands the row id to its handler. */
export function createPagerDutyWorker(
  connection: Redis,
  prefix: string,
  handlers: PagerDutyHandlers,
  log: Logger,
): Worker<PagerDutyJob> {
  const worker = new Worker<PagerDutyJob>(
    PAGERDUTY_QUEUE,
    async (job) => {
      if (job.name === 'storm-edit') await handlers.stormEdit(StormEditJob.parse(job.data).stormId);
      else await handlers.event(EventJob.parse(job.data).eventRowId);
    },
    { connection, prefix, concurrency: CONCURRENCY },
  );
  worker.on('failed', (job, error) =>
    log.error(
      { err: error, jobId: job?.id, attempt: job?.attemptsMade },
      `PagerDuty ${job?.name ?? 'job'} failed`,
    ),
  );
  worker.on('error', (error) => log.warn({ err: { message: error.message } }, 'PagerDuty worker error'));
  return worker;
}
