import { formatDuration } from '../config/duration.js';
import type { OpsConfig } from '../config/ops-config.js';
import { ConflictError, OpsError, UnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import type { EscalationStep } from './escalation-config.js';
import { dueSteps } from './escalation-plan.js';
import type { EscalationStore, PageClaim } from './escalation-store.js';
import type { Incident } from './incident.js';
import { escalationMessage, pagedMessage, pageFailedMessage } from './messages.js';
import type { IncidentSlack } from './ports.js';
import type { IncidentStore } from './store.js';

/** The first retry of a failed page waits this long, each next one twice as long, up to PAGE_RETRY_MAX_MS. */
const PAGE_RETRY_FIRST_MS = 30_000;
const PAGE_RETRY_MAX_MS = 15 * 60_000;
/** How soon a page that had to wait (not a failure) is tried again. */
const PAGE_WAIT_MS = 2000;

/** What paging PagerDuty for an escalation step needs to know. */
export interface PageRequest {
  incident: Incident;
  step: number;
  policy: string;
  /** The PagerDuty incident an earlier step of this incident paged, if one did. */
  earlier: string | undefined;
}

/** What a page did: the PagerDuty incident, and one sentence saying what was done to it. */
export interface Paged {
  pagerDutyIncidentId: string;
  text: string;
}

/** Pages PagerDuty (the implementation is src/pagerduty/escalation-pager.ts). */
export interface EscalationPager {
  /**
   * Triggers or escalates a PagerDuty incident on the policy; `later` when it must wait a moment (the
   * incident's PagerDuty incident is still being linked). A ConflictError means it cannot be done at all; any
   * other failure is tried again later.
   */
  page(request: PageRequest): Promise<Paged | 'later'>;
}

export interface EscalationDeps {
  config: Pick<OpsConfig, 'workspace' | 'incidents'>;
  store: Pick<IncidentStore, 'open' | 'get' | 'addEvent'>;
  escalations: EscalationStore;
  slack: Pick<IncidentSlack, 'post'>;
  /** Absent when PAGERDUTY_TOKEN is not set: a step's page then fails, is said, and is tried again. */
  pager: EscalationPager | undefined;
  log: Logger;
}

/**
 * One tick of escalation: every step due for an open incident fires once (however many processes tick): its
 * group or user is mentioned in the ops channel and it goes on the timeline as `escalation:<i>`. Then every
 * page due is tried, each by one process: PagerDuty's answer is said in the incident channel, a failure is
 * said once and tried again later with backoff. With `only`, the steps of just that incident (its slot's job);
 * the pages due are tried whichever incident they are of.
 */
export async function escalationTick(deps: EscalationDeps, now = new Date(), only?: string): Promise<void> {
  const steps = deps.config.incidents.escalation;
  if (steps.length === 0) return;
  const open = only === undefined ? await deps.store.open() : await openOne(deps, only);
  const fired = await deps.escalations.fired(open.map((incident) => incident.id));
  for (const incident of open) {
    for (const i of dueSteps(steps, incident, fired.get(incident.id) ?? new Map(), now)) {
      const step = steps[i] as EscalationStep;
      if (!(await deps.escalations.fire(incident.id, i, now, step.page?.escalation_policy))) continue;
      await attempt(deps, `post escalation ${i} of ${incident.id}`, async () => {
        const message = escalationMessage(incident, step, formatDuration(step.after));
        await deps.slack.post(deps.config.workspace.ops_channel, message);
        await deps.store.addEvent(incident.id, {
          kind: 'escalation',
          at: now,
          text: message.text,
          source: `escalation:${i}`,
        });
      });
    }
  }
  if (steps.some((step) => step.page)) {
    // Each attempt leaves its page paged, failed, due later or still claimed, so none is claimed twice here.
    let claim = await deps.escalations.claimDuePage(now);
    while (claim) {
      const claimed = claim;
      await attempt(deps, `page step ${claimed.step} of ${claimed.incident_id}`, () =>
        page(deps, claimed, now),
      );
      claim = await deps.escalations.claimDuePage(now);
    }
  }
}

/** The incident, when it is open. */
async function openOne(deps: EscalationDeps, id: string): Promise<Incident[]> {
  const incident = await deps.store.get(id);
  return incident && !incident.resolved_at ? [incident] : [];
}

/** One attempt at one claimed page. */
async function page(deps: EscalationDeps, claim: PageClaim, now: Date): Promise<void> {
  const incident = await deps.store.get(claim.incident_id);
  if (!incident) return;
  const { step, page_policy: policy } = claim;
  let paged: Paged | 'later';
  try {
    if (!deps.pager) throw new UnavailableError('PagerDuty is not set up here (PAGERDUTY_TOKEN is not set).');
    const earlier = await deps.escalations.pagedIncident(incident.id);
    paged = await deps.pager.page({ incident, step, policy, earlier });
  } catch (error) {
    if (!(error instanceof OpsError))
      deps.log.error({ err: error }, `paging step ${step} of ${incident.id} failed`);
    const reason = error instanceof OpsError ? error.message : 'an unexpected error (see the logs).';
    const retryAt =
      error instanceof ConflictError ? null : new Date(now.getTime() + retryDelayMs(claim.page_attempts));
    await deps.escalations.pageFailed(incident.id, step, reason, retryAt);
    // Said when it first happens and when the reason changes, not at every retry.
    if (reason === claim.page_error && retryAt) return;
    const message = pageFailedMessage(policy, reason, retryAt, now);
    await deps.slack.post(incident.channel_id, message);
    if (!retryAt) {
      await deps.store.addEvent(incident.id, {
        kind: 'pagerduty',
        at: now,
        text: message.text,
        source: `escalation:${step}:page`,
      });
    }
    return;
  }
  if (paged === 'later') {
    await deps.escalations.pageLater(incident.id, step, new Date(now.getTime() + PAGE_WAIT_MS));
    return;
  }
  await deps.escalations.paged(incident.id, step, paged.pagerDutyIncidentId, now);
  const message = pagedMessage(paged.text);
  await deps.slack.post(incident.channel_id, message);
  await deps.store.addEvent(incident.id, {
    kind: 'pagerduty',
    at: now,
    text: message.text,
    source: `escalation:${step}:page`,
  });
}

/** How long to wait before attempt `attempts + 1`: 30 s, 1 min, 2 min… up to 15 min. */
function retryDelayMs(attempts: number): number {
  return Math.min(PAGE_RETRY_MAX_MS, PAGE_RETRY_FIRST_MS * 2 ** Math.max(0, attempts - 1));
}

async function attempt(deps: EscalationDeps, what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    deps.log.error({ err: error }, `could not ${what}`);
  }
}
