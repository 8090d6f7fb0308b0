import { DelayedError } from 'bullmq';
import type { Logger } from '../log.js';
import { type Outages, warnUnlessOutage } from '../outages.js';
import { addJob, createWorker, RUNBOOKS_QUEUE, type TypedQueue } from '../queue/queues.js';
import type { RedisConnection } from '../queue/redis.js';
import { repeatEvery } from '../repeat.js';
import type { RunbookEngine } from './engine.js';
import type { RunbookStore } from './store.js';

/** Adds a runbook run's job; its id is the run's, so adding it while it waits or runs is harmless. */
export function enqueueRunbook(queue: TypedQueue<typeof RUNBOOKS_QUEUE>, runId: string): Promise<void> {
  return addJob(queue, 'runbook', { runId }, { jobId: runId });
}

export interface RunbookWorkerDeps {
  engine: RunbookEngine;
  store: RunbookStore;
  queue: TypedQueue<typeof RUNBOOKS_QUEUE>;
  consumer: RedisConnection;
  prefix: string;
  log: Logger;
  /** How often running runbooks are given their job again in case Redis lost it (default 15 s). */
  sweepEveryMs?: number;
  /** PostgreSQL's and Redis's outages: a sweep failing on one is counted there, not logged each time. */
  outages?: Outages;
}

/**
 * Works the runbooks queue: each job is one running runbook. A look runs what can run now; then the job is
 * delayed until the next look is due (BullMQ's moveToDelayed), so a runbook waiting for a person holds no
 * worker. A sweep gives a running runbook whose job is gone (Redis restarted empty) its job again.
 */
export function startRunbookWorker(deps: RunbookWorkerDeps): () => Promise<void> {
  const worker = createWorker(
    RUNBOOKS_QUEUE,
    {
      runbook: async ({ runId }, job, token) => {
        const next = await deps.engine.look(runId);
        if (next === undefined) return;
        await job.moveToDelayed(Math.max(next.getTime(), Date.now() + 20), token);
        throw new DelayedError();
      },
    },
    { connection: deps.consumer, prefix: deps.prefix, log: deps.log },
  );
  const stopSweep = repeatEvery(
    deps.sweepEveryMs ?? 15_000,
    async () => {
      for (const runId of await deps.store.running()) await enqueueRunbook(deps.queue, runId);
    },
    (error) => warnUnlessOutage(deps.outages, deps.log, error, 'runbook sweep failed'),
  );
  return async () => {
    await stopSweep();
    await worker.close();
  };
}
