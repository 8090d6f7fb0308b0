import { formatDuration } from '../config/duration.js';
import type { Logger } from '../log.js';
import { every, type ScheduleWiring, startSchedule } from '../queue/schedule.js';
import { type PagerDutyQueue, type Requeued, requeuePagerDutyEvent } from './events-queue.js';
import type { WebhookStore } from './webhook-store.js';

/** When the sweeper looks, which events it revives, and when it gives up on one. */
export interface SweepTuning {
  /** How often it looks (null turns it off). */
  everyMs: number | null;
  /** An event still unhandled this long after it arrived has lost its job, or its job gave up. */
  staleAfterMs: number;
  /** An event still unhandled this long after it arrived is given up on: logged once, never retried. */
  giveUpAfterMs: number;
  /** Events handled or given up on are deleted this long after. */
  keepMs: number;
}

/** Production's tuning: look every 30 s, revive after a minute, give up after a day. */
export const SWEEP_DEFAULTS: SweepTuning = {
  everyMs: 30_000,
  staleAfterMs: 60_000,
  giveUpAfterMs: 24 * 3_600_000,
  keepMs: 30 * 24 * 3_600_000,
};

/** Events revived by one sweep at most; the next sweep takes the rest. */
const BATCH = 500;
/** How many event row ids a sweep's log line names (it counts them all). */
const LOGGED_IDS = 20;

export interface SweepDeps {
  store: Pick<WebhookStore, 'giveUp' | 'unhandled' | 'prune'>;
  requeue(eventRowId: string): Promise<Requeued>;
  tuning: Pick<SweepTuning, 'staleAfterMs' | 'giveUpAfterMs' | 'keepMs'>;
  log: Logger;
}

/**
 * One sweep: deletes the events done with for a month, gives up on the events too old to retry, then makes sure every other event still unhandled
 * after `staleAfterMs` has a live job. PagerDuty was answered 2xx and will not redeliver, so this is what
 * keeps an event whose job failed all its attempts (PostgreSQL away for half a minute) or vanished from
 * Redis from being lost. Handling checks processed_at under a row lock, so reviving a job never shows an
 * event twice.
 */
export async function sweepPagerDutyEvents(deps: SweepDeps): Promise<void> {
  const { store, tuning, log } = deps;
  await store.prune(tuning.keepMs);
  const giveUpAfter = formatDuration(tuning.giveUpAfterMs);
  for (const event of await store.giveUp(tuning.giveUpAfterMs)) {
    log.error(
      {
        eventRowId: event.rowId,
        eventId: event.eventId,
        eventType: event.eventType,
        incidentId: event.incidentId,
      },
      `gave up on a PagerDuty event no worker could handle within ${giveUpAfter}: its card may be out of date; ` +
        'check the incident in PagerDuty, and the earlier "PagerDuty job failed" logs for the cause',
    );
  }
  const revived: string[] = [];
  const how: Partial<Record<Requeued, number>> = {};
  const failed: { eventRowIds: string[]; err?: unknown } = { eventRowIds: [] };
  for (const eventRowId of await store.unhandled(tuning.staleAfterMs, BATCH)) {
    try {
      const requeued = await deps.requeue(eventRowId);
      if (requeued === 'alive') continue;
      revived.push(eventRowId);
      how[requeued] = (how[requeued] ?? 0) + 1;
    } catch (error) {
      // A job changing state under us (a worker took it) refuses the retry; the next sweep looks again.
      failed.eventRowIds.push(eventRowId);
      failed.err ??= error;
    }
  }
  // One line a sweep, however many events (a long Redis outage leaves many): never a line per event.
  if (revived.length > 0) {
    log.warn(
      { eventRowIds: revived.slice(0, LOGGED_IDS), count: revived.length, requeued: how },
      'PagerDuty events were not handled in time: their jobs are live again',
    );
  }
  if (failed.eventRowIds.length > 0) {
    log.warn(
      {
        err: failed.err,
        eventRowIds: failed.eventRowIds.slice(0, LOGGED_IDS),
        count: failed.eventRowIds.length,
      },
      'could not revive the jobs of PagerDuty events; the next sweep retries',
    );
  }
}

interface SweepWiring extends ScheduleWiring {
  /** The PagerDuty events queue, whose jobs the sweep revives. */
  queue: PagerDutyQueue;
  store: SweepDeps['store'];
  tuning: SweepTuning;
}

/** Runs the sweep on a job scheduler shared by every worker process; returns stop. */
export function startPagerDutySweep(wiring: SweepWiring): Promise<() => Promise<void>> {
  const { queue, store, tuning } = wiring;
  const log = wiring.log.child({ component: 'pagerduty-sweep' });
  return startSchedule(
    'ops-pagerduty-sweep',
    {
      'pagerduty-sweep': {
        repeat: every(tuning.everyMs),
        data: {},
        run: () =>
          sweepPagerDutyEvents({ store, requeue: (id) => requeuePagerDutyEvent(queue, id), tuning, log }),
      },
    },
    { ...wiring, log },
  );
}
