import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../log.js';

/** Job data: nothing; a tick reads the config and the database. */
const TickJob = z.strictObject({});
type TickJob = z.infer<typeof TickJob>;

/** Something opsbot does on a fixed interval in whichever worker process takes the tick. */
export interface Ticker {
  /** Names the queue (`ops-<name>`) and its one job scheduler. */
  name: string;
  producer: Redis;
  consumer: Redis;
  prefix: string;
  /** Null turns it off. */
  everyMs: number | null;
  tick(): Promise<void>;
  log: Logger;
}

/**
 * Runs `tick` every `everyMs` from a BullMQ job scheduler shared by every process: upserting it again is
 * harmless and makes one job per interval, so each tick runs in one process only. The first tick comes one
 * interval after the scheduler is created. Turned off, it removes the scheduler, so no process runs it any
 * more. Returns stop, which lets a running tick finish.
 */
export async function startTicker(ticker: Ticker): Promise<() => Promise<void>> {
  const { name, producer, consumer, prefix, everyMs, log } = ticker;
  const queueName = `ops-${name}`;
  const queue = new Queue<TickJob>(queueName, { connection: producer, prefix });
  queue.on('error', (error) =>
    log.warn({ err: { message: error.message }, ticker: name }, 'ticker queue error'),
  );
  try {
    if (everyMs === null) {
      await queue.removeJobScheduler(name);
      return async () => undefined;
    }
    await queue.upsertJobScheduler(
      name,
      { every: everyMs, startDate: Date.now() + everyMs },
      { name, data: {}, opts: { attempts: 1, removeOnComplete: true, removeOnFail: { count: 100 } } },
    );
  } finally {
    await queue.close();
  }
  const worker = new Worker<TickJob>(
    queueName,
    async (job) => {
      TickJob.parse(job.data);
      await ticker.tick();
    },
    { connection: consumer, prefix },
  );
  worker.on('failed', (job, error) => log.error({ err: error, jobId: job?.id, ticker: name }, 'tick failed'));
  worker.on('error', (error) =>
    log.warn({ err: { message: error.message }, ticker: name }, 'ticker worker error'),
  );
  return () => worker.close();
}
