import type { Logger } from '../log.js';
import type { RunService } from './service.js';
import { type StateExpiryDeps, sweepStateExpiry } from './state-expiry.js';
import type { RunStore } from './store.js';

/**
 * Keeps the outbox honest: re-adds jobs for runs left `queued` (their job may never have reached Redis),
 * expires plans nobody confirmed, and reminds of and undoes service state whose time is up. Safe on any
 * number of replicas: every step is compare-and-set.
 */
export function startSweeper(
  deps: StateExpiryDeps & {
    store: RunStore;
    runs: RunService;
    enqueue(runId: string): Promise<void>;
    log: Logger;
  },
  everyMs = 15_000,
): () => Promise<void> {
  let running: Promise<void> | undefined;
  const sweep = async () => {
    for (const runId of await deps.store.staleQueued(everyMs * 2)) await deps.enqueue(runId);
    for (const runId of await deps.store.dueToExpire()) await deps.runs.expire(runId);
    await sweepStateExpiry(deps);
  };
  const timer = setInterval(() => {
    running ??= sweep()
      .catch((error) => deps.log.warn({ err: error }, 'sweep failed'))
      .finally(() => {
        running = undefined;
      });
  }, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
