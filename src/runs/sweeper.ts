import type { Logger } from '../log.js';
import { type Outages, warnUnlessOutage } from '../outages.js';
import { repeatEvery } from '../repeat.js';
import type { RunService } from './service.js';
import { type StateExpiryDeps, sweepStateExpiry } from './state-expiry.js';
import type { RunStore } from './store.js';
import { dropUnseen } from './unseen.js';

/**
 * A running run whose heartbeat is this old, and whose job no worker will be handed, is given its job again. Well
 * past the executor's own bound, since a dead worker's job is normally redelivered by BullMQ within seconds.
 */
const ABANDONED_AFTER_MS = 60_000;

/**
 * Keeps the outbox honest: re-adds jobs for runs left `queued` (their job may never have reached Redis, or ended
 * without running them while PostgreSQL was away), ends
 * those queued without a card, re-adds jobs for runs left `running` by a worker that stopped beating and whose
 * job is gone (Redis lost it), expires plans nobody confirmed, and reminds of and undoes service state whose
 * time is up. Safe on any number of replicas: every step is compare-and-set.
 */
export function startSweeper(
  deps: StateExpiryDeps & {
    store: RunStore;
    runs: RunService;
    /** Gives a run its job again, unless BullMQ still holds one for it to hand to a worker. */
    redeliver(runId: string): Promise<void>;
    log: Logger;
    /** PostgreSQL's and Redis's outages: a sweep failing on one is counted there, not logged each time. */
    outages?: Outages;
  },
  everyMs = 15_000,
): () => Promise<void> {
  const sweep = async () => {
    // A queued run's job may be missing (it never reached Redis) or over (its worker could not read the run
    // while PostgreSQL was away): either way it is given its job again.
    for (const { id, carded } of await deps.store.staleQueued(everyMs * 2)) {
      await (carded ? deps.redeliver(id) : dropUnseen(deps.store, id));
    }
    for (const runId of await deps.store.staleRunning(ABANDONED_AFTER_MS)) await deps.redeliver(runId);
    for (const runId of await deps.store.dueToExpire()) await deps.runs.expire(runId);
    await sweepStateExpiry(deps);
  };
  return repeatEvery(everyMs, sweep, (error) =>
    warnUnlessOutage(deps.outages, deps.log, error, 'sweep failed'),
  );
}
