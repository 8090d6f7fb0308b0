import type { OpsConfig } from '../config/ops-config.js';
import { describeError } from '../describe-error.js';
import { ConflictError, NotFoundError, OpsError, UserError } from '../errors.js';
import type { Logger } from '../log.js';
import type { BulkKind, BulkResult, Storm } from './alert.js';
import type { AlertStore } from './alert-store.js';
import type { PagerDutyAsUser, PagerDutyPerson } from './as-user.js';
import { mappedService } from './mapping.js';
import type { AlertCards } from './ports.js';
import type { OpenIncident, StormBulkStore } from './storm-bulk-store.js';
import { redrawStorm } from './storm-card.js';

/**
 * The least time between the starts of two requests of one Acknowledge all or Resolve all: PagerDuty allows
 * about 960 REST requests a minute per token, shared with opsbot's other calls, so this uses at most 10 a second.
 */
const BULK_SPACING_MS = 100;

const DOING: Record<BulkKind, string> = { acknowledge: 'acknowledging', resolve: 'resolving' };
const DONE: Record<BulkKind, string> = { acknowledge: 'acknowledged', resolve: 'resolved' };

export interface StormActionsDeps {
  bulk: Pick<StormBulkStore, 'claim' | 'openIncidents' | 'refresh' | 'finish'>;
  store: Pick<
    AlertStore,
    'findStorm' | 'underServiceLock' | 'markStormRendered' | 'stormView' | 'setStormTs'
  >;
  asUser: Pick<PagerDutyAsUser, 'person'>;
  /** The roll-up card: redrawn as the requests start and end, and the outcome said in its thread. */
  cards: Pick<AlertCards, 'update' | 'postedTs' | 'say'>;
  config: Pick<OpsConfig, 'pagerduty'>;
  log: Logger;
}

/** An Acknowledge all or Resolve all that may go ahead: the storm claimed, the person checked, what to send. */
export interface BulkStart {
  storm: Storm;
  kind: BulkKind;
  actor: string;
  claim: string;
  person: PagerDutyPerson;
  incidents: OpenIncident[];
  /** What the presser is told at once. */
  line: string;
}

/**
 * Acknowledge all and Resolve all on a storm's roll-up card: one PagerDuty request per open incident rolled up
 * there, made as the person who pressed (checked as the single buttons check them), one at a time and spaced,
 * each waiting out PagerDuty's 429s (PagerDutyRest). The card shows how many succeeded and which failed.
 */
export class StormActions {
  constructor(private readonly deps: StormActionsDeps) {}

  /**
   * Checks the presser and claims the storm, a compare-and-set: a second press while one is under way is told
   * who is at it and sends nothing. A refused press claims nothing.
   */
  async start(actor: string, stormId: string, kind: BulkKind): Promise<BulkStart> {
    const { bulk } = this.deps;
    const storm = await this.deps.store.findStorm(stormId);
    if (!storm) throw new NotFoundError('opsbot has no record of that alert storm.');
    const service = mappedService(this.deps.config, storm.service_id);
    if (!service) {
      throw new UserError(
        `PagerDuty service ${storm.service_id} is not mapped to an opsbot service (pagerduty.services), so opsbot cannot check your role; act on it in PagerDuty.`,
      );
    }
    const person = await this.deps.asUser.person(actor, service, `pagerduty ${kind} all`);
    const none = `Nothing to ${kind}: no incident rolled up here is ${kind === 'acknowledge' ? 'triggered' : 'open'} now.`;
    if ((await bulk.openIncidents(stormId, kind)).length === 0) throw new ConflictError(none);
    const claimed = await bulk.claim(stormId, kind, actor);
    if ('heldBy' in claimed) {
      throw new ConflictError(
        `<@${claimed.heldBy}> is already ${DOING[claimed.kind]} the incidents rolled up here; the card will show how it went.`,
      );
    }
    const incidents = await bulk.openIncidents(stormId, kind);
    const n = incidents.length;
    const line = `${DOING[kind][0]?.toUpperCase()}${DOING[kind].slice(1)} ${n} incident${n === 1 ? '' : 's'} in PagerDuty as you, one at a time; the card will show how it went.`;
    return { storm, kind, actor, claim: claimed.claim, person, incidents, line };
  }

  /** Sends the requests, then keeps the outcome for the card, redraws it and says the outcome in its thread. */
  async run(start: BulkStart): Promise<BulkResult> {
    const { bulk, log } = this.deps;
    const { storm, claim, person, incidents } = start;
    await this.redraw(storm);
    const failed: BulkResult['failed'] = [];
    let sent = 0;
    let lastStart = 0;
    for (const incident of incidents) {
      // Taken over only when this process looked dead for minutes: the newer press sends the rest.
      if (!(await bulk.refresh(storm.id, claim))) break;
      await sleep(lastStart + BULK_SPACING_MS - Date.now());
      lastStart = Date.now();
      sent++;
      try {
        if (start.kind === 'acknowledge') await person.rest.acknowledge(incident.id, person.email);
        else await person.rest.resolve(incident.id, person.email);
      } catch (error) {
        if (!(error instanceof OpsError))
          log.warn({ err: error, incidentId: incident.id }, 'bulk change failed');
        const reason = error instanceof OpsError ? error.message : describeError(error);
        failed.push({ name: nameOf(incident), reason });
      }
    }
    // A claim left by a failure before this point (PostgreSQL gone) is taken over once it is old.
    const result = resultOf(start, sent, failed);
    if (await bulk.finish(storm.id, claim, result)) {
      await this.redraw(storm);
      await this.deps.cards.say(storm.channel, { key: storm.card_key, ts: storm.card_ts }, summary(result));
    }
    return result;
  }

  private async redraw(storm: Storm): Promise<void> {
    await this.deps.store.underServiceLock(storm.service_id, (tx) => redrawStorm(tx, this.deps, storm.id));
  }
}

function resultOf(start: BulkStart, sent: number, failed: BulkResult['failed']): BulkResult {
  return {
    kind: start.kind,
    by: start.actor,
    at: new Date().toISOString(),
    sent,
    done: sent - failed.length,
    failed,
  };
}

/** `<@U0ALICE> acknowledged 2 of 3 incidents rolled up here in PagerDuty; failed: #12 Disk full (why).` */
function summary(result: BulkResult): string {
  const failures = result.failed.map((f) => `${f.name} (${f.reason})`).join('; ');
  const text = `<@${result.by}> ${DONE[result.kind]} ${result.done} of ${result.sent} incidents rolled up here in PagerDuty${failures ? `; failed: ${failures}` : '.'}`;
  return text.length > 3000 ? `${text.slice(0, 2997)}...` : text;
}

/** `#1002 Executor node 2 not responding`, as the card lists it. */
function nameOf(incident: OpenIncident): string {
  return `${incident.number !== null ? `#${incident.number} ` : ''}${incident.title}`.slice(0, 150);
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
