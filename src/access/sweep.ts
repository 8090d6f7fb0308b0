import { untilText } from '../auth/until-text.js';
import { formatDuration } from '../config/duration.js';
import type { Logger } from '../log.js';
import { type Outages, warnUnlessOutage } from '../outages.js';
import { repeatEvery } from '../repeat.js';
import { type AccessGrant, scopeText } from './grant.js';
import type { AccessSlack } from './ports.js';
import type { AccessGrantStore } from './store.js';

/** Told this long before a grant ends. */
export const WARN_BEFORE_MS = 10 * 60_000;

export interface AccessSweepDeps {
  store: Pick<AccessGrantStore, 'claimWarnings' | 'expireDue' | 'lapseDue'>;
  slack: AccessSlack;
  timeZone: string;
  log: Logger;
  /** PostgreSQL's and Redis's outages: a pass failing on one is counted there, not logged each time. */
  outages?: Outages;
  warnBeforeMs: number;
  pendingTtlMs: number;
}

/**
 * One pass over just-in-time grants: tells each holder once, `warnBeforeMs` before their grant ends; marks grants
 * whose time is up as expired and tells their holder; lapses requests nobody decided. A grant counts for nothing
 * from its expires_at whether or not this has run: this only says so. Every step is claimed by compare-and-set,
 * so any number of workers do each once.
 */
export async function sweepAccess(deps: AccessSweepDeps): Promise<void> {
  const { store, slack } = deps;
  // Each grant's message on its own: one Slack cannot take does not keep the others from being said.
  const say = async (grant: AccessGrant, work: () => Promise<void>) =>
    work().catch((error: unknown) =>
      deps.log.warn({ err: error, grant: grant.id }, 'could not tell the holder of an access grant'),
    );
  for (const grant of await store.claimWarnings(deps.warnBeforeMs)) {
    const end = grant.expires_at ?? new Date();
    const minutes = Math.round((end.getTime() - Date.now()) / 60_000);
    const left = minutes >= 1 ? `${minutes} min` : 'under a minute';
    await say(grant, () =>
      slack.tell(
        grant.user_id,
        `access:${grant.id}:ending`,
        `Your *${grant.role}* ${scopeText(grant)} ends in ${left} (${untilText(end, new Date(), deps.timeZone)}, ${grant.id}). ` +
          'If you still need it, ask again with `/ops elevate`.',
      ),
    );
  }
  for (const grant of await store.expireDue()) {
    await say(grant, () => slack.card(grant));
    await say(grant, () =>
      slack.tell(
        grant.user_id,
        `access:${grant.id}:expired`,
        `Your *${grant.role}* ${scopeText(grant)} has ended (${grant.id}).`,
      ),
    );
  }
  for (const grant of await store.lapseDue(deps.pendingTtlMs)) {
    await say(grant, () => slack.card(grant));
    await say(grant, () =>
      slack.tell(
        grant.user_id,
        `access:${grant.id}:lapsed`,
        `Nobody decided your request for ${grant.role} ${scopeText(grant)} within ${formatDuration(deps.pendingTtlMs)}, so it has lapsed (${grant.id}).`,
      ),
    );
  }
}

/**
 * Runs sweepAccess every `everyMs` in this process until stopped; a failed pass is logged (unless an outage
 * counts it) and tried again.
 */
export function startAccessSweep(deps: AccessSweepDeps, everyMs: number): () => Promise<void> {
  return repeatEvery(
    everyMs,
    () => sweepAccess(deps),
    (error) => warnUnlessOutage(deps.outages, deps.log, error, 'access sweep failed'),
  );
}
