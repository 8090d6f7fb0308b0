import type { OpsConfig } from '../config/ops-config.js';
import type { Logger } from '../log.js';
import type { TargetDatabases } from '../targets/databases.js';
import { checkService } from './check-service.js';
import type { CounterWindowStore } from './counter-windows.js';
import { type HealthChange, type HealthStore, POST_RETRY_WINDOW } from './health-store.js';
import type { SustainedLevels } from './sustained.js';

export interface ProbeDeps {
  config: Pick<OpsConfig, 'services'>;
  /** The services' databases, for SQL checks. */
  targets: Pick<TargetDatabases, 'pool'>;
  /** Earlier scrapes, shared with `/ops status` and every other process. */
  windows: CounterWindowStore;
  /** The runs of sustained checks, shared likewise. */
  levels: SustainedLevels;
  store: Pick<HealthStore, 'record' | 'claimUnposted' | 'markPosted' | 'postFailed' | 'release'>;
  /** Tells the ops channel about one change; throws when Slack did not take it. */
  post(change: HealthChange): Promise<void>;
  log: Logger;
}

/**
 * One background probe: every service's checks, all services at once; each service's level is recorded,
 * and every change not yet posted (this probe's, or one an earlier probe failed to post) is posted.
 */
export async function probeOnce(deps: ProbeDeps): Promise<void> {
  const services = Object.entries(deps.config.services).filter(([, service]) => service.health.length > 0);
  const recorded = await Promise.allSettled(
    services.map(async ([name, service]) => {
      const at = new Date();
      const health = await checkService(name, service.health, {
        database: (database) => deps.targets.pool(name, database),
        windows: deps.windows,
        levels: deps.levels,
      });
      return deps.store.record(name, health, at);
    }),
  );
  recorded.forEach((outcome, i) => {
    const service = services[i]?.[0];
    if (outcome.status === 'rejected') {
      deps.log.error({ err: outcome.reason, service }, 'could not record a health probe');
    } else if (outcome.value) {
      deps.log.info({ service, from: outcome.value.from, to: outcome.value.to }, 'service health changed');
    }
  });
  await postChanges(deps);
}

/** Posts claimed changes in order; on the first failure the rest wait for the next probe, to keep their order. */
async function postChanges(deps: ProbeDeps): Promise<void> {
  const pending = await deps.store.claimUnposted();
  for (const [i, change] of pending.entries()) {
    try {
      await deps.post(change);
    } catch (error) {
      deps.log.error(
        { err: error, service: change.service, changeId: change.id, failedAttempts: change.attempts + 1 },
        `could not post a health change to the ops channel; the next probe tries again, for ${POST_RETRY_WINDOW} after the change`,
      );
      await deps.store.postFailed(change.id);
      await deps.store.release(pending.slice(i).map((later) => later.id));
      return;
    }
    await deps.store.markPosted(change.id);
  }
}
