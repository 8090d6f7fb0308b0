import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DigestSchedule } from './service.js';

/** The queue of digest jobs; one job scheduler per digest schedule, named `digest-<schedule>`. */
export const DIGEST_QUEUE = 'ops-digest';

const DigestJob = z.strictObject({ schedule: z.enum(['daily', 'weekly']) });
type DigestJob = z.infer<typeof DigestJob>;
/** What a job scheduler writes into its job's options: the slot's time. */
const SlotOptions = z.object({ prevMillis: z.number() });

export interface DigestScheduleDeps {
  producer: Redis;
  consumer: Redis;
  prefix: string;
  /** Cron patterns (6 fields for seconds) by schedule; a missing one has its scheduler removed. */
  patterns: Partial<Record<DigestSchedule, string>>;
  tz: string;
  post(schedule: DigestSchedule, slotAt: Date): Promise<boolean>;
  log: Logger;
}

/**
 * Upserts one cron job scheduler per digest (every process does, harmlessly), and a worker that posts the
 * digest of the job's slot. The scheduler makes one job per slot; `post` guards against a redelivery.
 */
export async function startDigestSchedule(deps: DigestScheduleDeps): Promise<() => Promise<void>> {
  const { producer, consumer, prefix, patterns, tz, log } = deps;
  const queue = new Queue<DigestJob>(DIGEST_QUEUE, { connection: producer, prefix });
  queue.on('error', (error) => log.warn({ err: { message: error.message } }, 'digest queue error'));
  try {
    for (const schedule of ['daily', 'weekly'] as const) {
      const pattern = patterns[schedule];
      if (pattern === undefined) {
        await queue.removeJobScheduler(`digest-${schedule}`);
        continue;
      }
      await queue
        .upsertJobScheduler(
          `digest-${schedule}`,
          { pattern, tz },
          {
            name: `digest-${schedule}`,
            data: { schedule },
            opts: {
              attempts: 3,
              backoff: { type: 'exponential', delay: 5_000 },
              removeOnComplete: true,
              removeOnFail: { count: 100 },
            },
          },
        )
        .catch((error: unknown) => {
          const key = schedule === 'weekly' ? 'digest.weekly.schedule' : 'digest.schedule';
          throw new UserError(
            `ops.yml ${key} "${pattern}" in workspace.timezone ${tz} is not a schedule BullMQ accepts ` +
              `(${error instanceof Error ? error.message : String(error)}); use a cron pattern such as "0 8 * * 1-5".`,
          );
        });
    }
  } finally {
    await queue.close();
  }
  if (Object.keys(patterns).length === 0) return async () => undefined;
  const worker = new Worker<DigestJob>(
    DIGEST_QUEUE,
    async (job) => {
      const { schedule } = DigestJob.parse(job.data);
      const slot = SlotOptions.safeParse(job.opts);
      const slotAt = new Date(slot.success ? slot.data.prevMillis : job.timestamp + (job.opts.delay ?? 0));
      const posted = await deps.post(schedule, slotAt);
      if (!posted) log.info({ schedule, slotAt }, 'digest slot already posted');
    },
    { connection: consumer, prefix },
  );
  worker.on('failed', (job, error) => log.error({ err: error, jobId: job?.id }, 'digest failed'));
  worker.on('error', (error) => log.warn({ err: { message: error.message } }, 'digest worker error'));
  return () => worker.close();
}
