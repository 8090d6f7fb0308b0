import { type Authority, authorize } from '../auth/authorizer.js';
import type { Role } from '../auth/roles.js';
import type { OpsConfig } from '../config/ops-config.js';
import { ConflictError, NotFoundError, UserError } from '../errors.js';
import type { Incident } from '../incidents/incident.js';
import type { IncidentStore } from '../incidents/store.js';
import type { Logger } from '../log.js';
import { type Followup, type FollowupFilter, MAX_FOLLOWUP_TEXT, type NewFollowup } from './followup.js';
import type { FollowupSlack } from './ports.js';
import type { FollowupStore } from './store.js';

/** Reminders one check sends at most; the rest wait for the next check. */
const REMINDERS_PER_CHECK = 50;
/** Follow-ups `/ops followups open` lists at most. */
const OPEN_LISTED = 50;

const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

export interface FollowupServiceDeps extends Authority {
  config: Pick<OpsConfig, 'services' | 'workspace'>;
  store: FollowupStore;
  incidents: Pick<IncidentStore, 'byChannel'>;
  slack: FollowupSlack;
  log: Logger;
}

/** What `/ops followups` shows: which list, its follow-ups, how many there are, and the incident for `incident`. */
export interface FollowupListing {
  filter: FollowupFilter;
  followups: Followup[];
  total: number;
  incident?: Incident;
}

/**
 * Follow-ups of incidents: added in an incident's channel (by a responder), listed, closed by their owner or a
 * responder, their owners told when given one and reminded once when it is due.
 */
export class FollowupService {
  constructor(private readonly deps: FollowupServiceDeps) {}

  /** Adds a follow-up to the incident whose channel this is (open or resolved), and tells its owner. */
  async add(actor: string, channel: string, wanted: NewFollowup): Promise<Followup> {
    const incident = await this.incidentIn(channel);
    await this.permit(actor, 'responder', 'followup add');
    const text = wanted.text.trim().replace(/\s+/g, ' ');
    if (text === '')
      throw new UserError('Say what is to be done: `/ops followup <text> [@owner] [due=YYYY-MM-DD]`.');
    if (text.length > MAX_FOLLOWUP_TEXT) {
      throw new UserError(
        `A follow-up is at most ${MAX_FOLLOWUP_TEXT} characters; this one is ${text.length}.`,
      );
    }
    if (wanted.owner !== undefined && !SLACK_USER.test(wanted.owner)) {
      throw new UserError('Name the owner as a Slack mention, such as @alice.');
    }
    const due = wanted.due === undefined ? null : this.dueDay(wanted.due);
    const followup = await this.deps.store.create({
      incidentId: incident.id,
      text,
      owner: wanted.owner ?? null,
      due,
      createdBy: actor,
      source: wanted.source ?? null,
    });
    this.deps.log.info({ followupId: followup.id, incidentId: incident.id }, 'follow-up added');
    await this.tolerate('post the follow-up', () => this.deps.slack.post(followup));
    if (followup.owner && followup.owner !== actor) {
      await this.tolerate('tell the owner', () => this.deps.slack.tellOwner(followup, 'assigned'));
    }
    return followup;
  }

  /**
   * `/ops followups [mine|open|incident]`: the caller's own open follow-ups (nothing to authorize: they are told
   * of them anyway), every open one, or this incident's; by default this incident's in its channel, else mine.
   */
  async list(actor: string, channel: string, wanted?: FollowupFilter): Promise<FollowupListing> {
    const here = await this.deps.incidents.byChannel(channel);
    const filter = wanted ?? (here ? 'incident' : 'mine');
    if (filter === 'mine') {
      const followups = await this.deps.store.openOwnedBy(actor);
      return { filter, followups, total: followups.length };
    }
    await this.permit(actor, 'viewer', `followups ${filter}`);
    if (filter === 'open') return { filter, ...(await this.deps.store.open(OPEN_LISTED)) };
    if (!here) {
      throw new UserError('`/ops followups incident` lists an incident’s follow-ups in its channel.');
    }
    const followups = await this.deps.store.ofIncident(here.id);
    return { filter, followups, total: followups.length, incident: here };
  }

  /** Closes a follow-up: its owner may, and so may any responder. */
  async close(actor: string, id: number): Promise<Followup> {
    const followup = await this.deps.store.get(id);
    if (!followup) throw new NotFoundError(`There is no follow-up #${id}.`);
    if (followup.closed_at) throw new ConflictError(alreadyClosed(followup));
    if (followup.owner !== actor) await this.permit(actor, 'responder', 'followup close');
    const closed = await this.deps.store.close(id, actor);
    if (!closed) {
      const now = await this.deps.store.get(id);
      throw new ConflictError(now ? alreadyClosed(now) : `There is no follow-up #${id}.`);
    }
    this.deps.log.info({ followupId: id, by: actor }, 'follow-up closed');
    await this.tolerate('show the follow-up closed', () => this.deps.slack.showClosed(closed));
    return closed;
  }

  /**
   * The worker's check: reminds the owner of each open follow-up due today or earlier (in the workspace's
   * time zone), once: each is claimed first, and given back if its message could not be queued.
   */
  async remindDue(): Promise<number> {
    const due = await this.deps.store.claimDue(this.deps.config.workspace.timezone, REMINDERS_PER_CHECK);
    let sent = 0;
    for (const followup of due) {
      try {
        await this.deps.slack.tellOwner(followup, 'due');
        sent += 1;
      } catch (error) {
        await this.deps.store.unclaimDue(followup.id);
        this.deps.log.warn(
          { err: error, followupId: followup.id },
          'could not remind the owner; trying again',
        );
      }
    }
    if (sent > 0) this.deps.log.info({ sent }, 'follow-up owners reminded');
    return sent;
  }

  private async incidentIn(channel: string): Promise<Incident> {
    const incident = await this.deps.incidents.byChannel(channel);
    if (!incident) {
      throw new UserError('Follow-ups belong to an incident: add them in its channel (`#inc-…`).');
    }
    return incident;
  }

  /** A due day as typed, checked: a real calendar day, not before today in the workspace's time zone. */
  private dueDay(typed: string): string {
    const match = DAY.exec(typed.trim());
    const [year, month, day] = (match?.slice(1) ?? []).map(Number);
    const date = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 0));
    if (
      !match ||
      date.getUTCFullYear() !== year ||
      date.getUTCMonth() + 1 !== month ||
      date.getUTCDate() !== day
    ) {
      throw new UserError(`due=${typed} is not a day; write it as YYYY-MM-DD, such as due=2026-12-01.`);
    }
    const today = dayIn(this.deps.config.workspace.timezone);
    const wanted = typed.trim();
    if (wanted < today) throw new UserError(`due=${wanted} is in the past (today is ${today}).`);
    return wanted;
  }

  /** Follow-ups concern incidents, which span services: a role held anywhere counts, decided and audited once. */
  private permit(actor: string, requiredRole: Role, action: string): Promise<void> {
    const services = Object.keys(this.deps.config.services);
    return authorize(this.deps, { kind: 'incident', actor, action, requiredRole, services });
  }

  /** Runs a Slack step whose failure must not undo the follow-up; logs it. */
  private async tolerate(what: string, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      this.deps.log.error({ err: error }, `could not ${what}`);
    }
  }
}

/** Today as YYYY-MM-DD in a time zone. */
export function dayIn(timezone: string, now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now);
}

function alreadyClosed(followup: Followup): string {
  return `Follow-up #${followup.id} is already closed${followup.closed_by ? ` (by <@${followup.closed_by}>)` : ''}.`;
}
