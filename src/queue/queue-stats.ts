import type { Queue } from 'bullmq';
import type { QueueStats } from '../http/metrics.js';

/** The BullMQ states /metrics reports. */
const STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * Each queue's jobs by state, and how long its oldest waiting job has waited since it was added (or, for a
 * delayed job, since its delay ended).
 */
export async function queueStats(
  queues: Pick<Queue, 'name' | 'getJobCounts' | 'getJobs'>[],
): Promise<QueueStats[]> {
  const now = Date.now();
  return Promise.all(
    queues.map(async (queue) => {
      const [jobs, [oldest]] = await Promise.all([
        queue.getJobCounts(...STATES),
        // The wait list's far end holds its oldest job.
        queue.getJobs(['wait'], 0, 0, true),
      ]);
      const readyAt = oldest ? oldest.timestamp + (oldest.delay ?? 0) : now;
      return { queue: queue.name, jobs, oldestWaitingSeconds: Math.max(0, (now - readyAt) / 1000) };
    }),
  );
}
