import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../log.js';

/** The queue that carries action runs from the web role to workers. */
export const ACTIONS_QUEUE = 'ops-actions';

/** Job data: the run id only; the run's row in PostgreSQL is the truth, and no secret ever sits in Redis. */
export const RunJob = z.strictObject({ runId: z.string().regex(/^run_[a-f0-9]{12}$/) });
export type RunJob = z.infer<typeof RunJob>;

export function createActionsQueue(connection: Redis, prefix: string, log: Logger): Queue<RunJob> {
  const queue = new Queue<RunJob>(ACTIONS_QUEUE, { connection, prefix });
  queue.on('error', (error) => log.warn({ err: { message: error.message } }, 'action queue error'));
  return queue;
}

/** Adds the run's job; the job id is the run id, so adding twice is harmless. */
export async function enqueueRun(queue: Queue<RunJob>, runId: string): Promise<void> {
  await queue.add('run', RunJob.parse({ runId }), {
    jobId: runId,
    attempts: 1,
    removeOnComplete: { count: 1000 },
    removeOnFail: { count: 5000 },
  });
}

/** The worker: validates job data and hands the run id to `execute`. */
export function createActionsWorker(
  connection: Redis,
  prefix: string,
  execute: (runId: string) => Promise<void>,
  log: Logger,
  concurrency = 4,
): Worker<RunJob> {
  const worker = new Worker<RunJob>(
    ACTIONS_QUEUE,
    async (job) => {
      const { runId } = RunJob.parse(job.data);
      await execute(runId);
    },
    { connection, prefix, concurrency },
  );
  worker.on('failed', (job, error) => log.error({ err: error, jobId: job?.id }, 'action job failed'));
  worker.on('error', (error) => log.warn({ err: { message: error.message } }, 'action worker error'));
  return worker;
}
