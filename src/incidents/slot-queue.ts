import { DelayedError } from 'bullmq';
import type { Logger } from '../log.js';
import { addJob, createWorker, INCIDENT_SLOTS_QUEUE, type TypedQueue } from '../queue/queues.js';
import type { RedisConnection } from '../queue/redis.js';
import type { IncidentSchedule } from './ports.js';

/**
 * Adds the incident's job due at `at`, delayed until then. Its id is the incident's and the time's, so it is
 * added once however many processes add it while it waits.
 */
export function enqueueSlot(
  queue: TypedQueue<typeof INCIDENT_SLOTS_QUEUE>,
  incidentId: string,
  at: Date,
): Promise<void> {
  const ms = at.getTime();
  const delay = Math.max(0, ms - Date.now());
  return addJob(queue, 'slot', { incidentId, at: ms }, { jobId: `${incidentId}-${ms}`, delay });
}

export interface SlotWorkerDeps {
  consumer: RedisConnection;
  prefix: string;
  log: Logger;
  /** Does what of the incident is due at `now`: its status update and nudge, escalation steps, pages. */
  look(incidentId: string, now: Date): Promise<void>;
  /** Gives the incident its next jobs once a slot is done. */
  slots: IncidentSchedule;
}

/**
 * Works the incident slots queue: each job is a time something of an incident comes due. It does what is due
 * (every slot and step is claimed by compare-and-set in PostgreSQL, so it happens once whichever process or
 * sweep gets there first), then schedules the incident's next times.
 */
export function startSlotWorker(deps: SlotWorkerDeps): () => Promise<void> {
  const worker = createWorker(
    INCIDENT_SLOTS_QUEUE,
    {
      slot: async ({ incidentId, at }, job, token) => {
        // Let out before its time (the adding process's clock ran ahead): it waits for it.
        if (Date.now() < at) {
          await job.moveToDelayed(at, token);
          throw new DelayedError();
        }
        await deps.look(incidentId, new Date());
        await deps.slots.schedule(incidentId);
      },
    },
    { connection: deps.consumer, prefix: deps.prefix, log: deps.log },
  );
  return () => worker.close();
}
