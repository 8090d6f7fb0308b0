import type { Job } from 'bullmq';
import type { Logger } from '../log.js';
import { createQueue, createWorker, type JobData, type JobName, jobSpec, type QueueName } from './queues.js';
import type { RedisConnection } from './redis.js';

/** When a scheduled job runs: every `every` ms, the first one interval from now; or on a cron pattern in a time zone. */
export type Repeat = { every: number } | { pattern: string; tz: string };

/** An interval schedule, or null for an interval turned off. */
export function every(ms: number | null): Repeat | null {
  return ms === null ? null : { every: ms };
}

/** One job scheduler, named after its job. */
export interface ScheduledJob<Q extends QueueName, N extends JobName<Q>> {
  /** Null turns it off: its scheduler is removed, so no process runs it any more. */
  repeat: Repeat | null;
  data: JobData<Q, N>;
  run(data: JobData<Q, N>, job: Job): Promise<void>;
  /** Turns BullMQ refusing `repeat` into a sentence for the operator (default: BullMQ's error). */
  refused?(error: unknown): Error;
}

/** The Redis connections for upserting the schedulers and for the worker, and the key prefix. */
export interface ScheduleWiring {
  producer: RedisConnection;
  consumer: RedisConnection;
  prefix: string;
  log: Logger;
}

/**
 * Upserts one BullMQ job scheduler per job of the queue, shared by every process: upserting it again is harmless
 * and makes one job per slot, so each slot runs in one process only. Upserts them again whenever the producer
 * reconnects, so a Redis that restarted empty gets its schedules back without restarting opsbot. Runs the
 * queue's worker when any job is on. Returns stop, which lets a running job finish.
 */
export async function startSchedule<Q extends QueueName>(
  name: Q,
  jobs: { [N in JobName<Q>]: ScheduledJob<Q, N> },
  wiring: ScheduleWiring,
): Promise<() => Promise<void>> {
  const { producer, consumer, prefix, log } = wiring;
  const scheduled: [string, ScheduledJob<Q, JobName<Q>>][] = Object.entries(jobs);
  const upsert = async () => {
    const queue = createQueue(name, { connection: producer, prefix, log });
    try {
      for (const [job, { repeat, data, refused }] of scheduled) {
        if (repeat === null) {
          await queue.removeJobScheduler(job);
          continue;
        }
        const spec = jobSpec(name, job);
        await queue
          .upsertJobScheduler(
            job,
            'every' in repeat ? { every: repeat.every, startDate: Date.now() + repeat.every } : repeat,
            { name: job, data: spec.data.parse(data), opts: spec.opts },
          )
          .catch((error: unknown) => {
            throw refused ? refused(error) : error;
          });
      }
    } finally {
      await queue.close();
    }
  };
  await upsert();
  if (scheduled.every(([, { repeat }]) => repeat === null)) return async () => undefined;
  const reconnected = () => {
    upsert().catch((error: unknown) => log.warn({ err: error }, `could not restore the ${name} schedule`));
  };
  producer.on('ready', reconnected);
  const handlers = Object.fromEntries(scheduled.map(([job, { run }]) => [job, run]));
  const worker = createWorker(name, handlers as { [N in JobName<Q>]: ScheduledJob<Q, N>['run'] }, {
    connection: consumer,
    prefix,
    log,
  });
  return async () => {
    producer.off('ready', reconnected);
    await worker.close();
  };
}
