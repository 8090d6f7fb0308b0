import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../log.js';

/** The queue that carries the background health probe's ticks. */
export const HEALTH_PROBE_QUEUE = 'ops-health-probe';

/** One scheduler shared by every process: upserting it again is harmless, and it makes one job per interval. */
const SCHEDULER_ID = 'health-probe';

/** Job data: nothing; a probe reads the config and the database. */
const ProbeJob = z.strictObject({});
type ProbeJob = z.infer<typeof ProbeJob>;

export interface ProbeSchedule {
  producer: Redis;
  consumer: Redis;
  prefix: string;
  /** Null turns the probe off. */
  everyMs: number | null;
  probe(): Promise<void>;
  log: Logger;
}

/**
 * Runs `probe` every `everyMs`, each tick on one worker of whichever process takes it; the first tick comes
 * one interval after the scheduler is created. Turned off, it removes the scheduler, so no process runs it
 * any more. Returns stop, which lets a running tick finish.
 */
export async function startProbeSchedule(schedule: ProbeSchedule): Promise<() => Promise<void>> {
  const { producer, consumer, prefix, everyMs, log } = schedule;
  const queue = new Queue<ProbeJob>(HEALTH_PROBE_QUEUE, { connection: producer, prefix });
  queue.on('error', (error) => log.warn({ err: { message: error.message } }, 'health probe queue error'));
  try {
    if (everyMs === null) {
      await queue.removeJobScheduler(SCHEDULER_ID);
      return async () => undefined;
    }
    await queue.upsertJobScheduler(
      SCHEDULER_ID,
      { every: everyMs, startDate: Date.now() + everyMs },
      {
        name: 'probe',
        data: {},
        opts: { attempts: 1, removeOnComplete: true, removeOnFail: { count: 100 } },
      },
    );
  } finally {
    await queue.close();
  }
  const worker = new Worker<ProbeJob>(
    HEALTH_PROBE_QUEUE,
    async (job) => {
      ProbeJob.parse(job.data);
      await schedule.probe();
    },
    { connection: consumer, prefix },
  );
  worker.on('failed', (job, error) => log.error({ err: error, jobId: job?.id }, 'health probe failed'));
  worker.on('error', (error) => log.warn({ err: { message: error.message } }, 'health probe worker error'));
  return () => worker.close();
}
