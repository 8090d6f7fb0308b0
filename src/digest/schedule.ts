import { z } from 'zod';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { DIGEST_QUEUE } from '../queue/queues.js';
import type { RedisConnection } from '../queue/redis.js';
import { type ScheduledJob, startSchedule } from '../queue/schedule.js';
import type { DigestSchedule } from './service.js';

/** What a job scheduler writes into its job's options: the slot's time. */
const SlotOptions = z.object({ prevMillis: z.number() });

export interface DigestScheduleDeps {
  producer: RedisConnection;
  consumer: RedisConnection;
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
  const digest = (
    schedule: DigestSchedule,
  ): ScheduledJob<typeof DIGEST_QUEUE, `digest-${DigestSchedule}`> => {
    const pattern = patterns[schedule];
    return {
      repeat: pattern === undefined ? null : { pattern, tz },
      data: { schedule },
      run: async (data, job) => {
        const slot = SlotOptions.safeParse(job.opts);
        const slotAt = new Date(slot.success ? slot.data.prevMillis : job.timestamp + (job.opts.delay ?? 0));
        const posted = await deps.post(data.schedule, slotAt);
        if (!posted) log.info({ schedule: data.schedule, slotAt }, 'digest slot already posted');
      },
      refused: (error) => {
        const key = schedule === 'weekly' ? 'digest.weekly.schedule' : 'digest.schedule';
        return new UserError(
          `ops.yml ${key} "${pattern}" in workspace.timezone ${tz} is not a schedule BullMQ accepts ` +
            `(${error instanceof Error ? error.message : String(error)}); use a cron pattern such as "0 8 * * 1-5".`,
        );
      },
    };
  };
  return startSchedule(
    DIGEST_QUEUE,
    { 'digest-daily': digest('daily'), 'digest-weekly': digest('weekly') },
    { producer, consumer, prefix, log },
  );
}
