import { type Authority, authorize } from '../auth/authorizer.js';
import type { Role } from '../auth/roles.js';
import type { OpsConfig } from '../config/ops-config.js';
import { own } from '../config/own.js';
import { ConflictError, NotFoundError, UserError } from '../errors.js';
import type { Followup } from '../followups/followup.js';
import { newId } from '../ids.js';
import type { Logger } from '../log.js';
import { redrawCard } from './card.js';
import { type CatchUp, missedSince } from './catch-up.js';
import { channelNameFor } from './channel-name.js';
import { checkedDeclaration, type Declaration } from './declaration.js';
import type { HumanUpdate, Incident, IncidentEvent, IncidentRole, IncidentStatus } from './incident.js';
import { introMessage, noticeMessage, roleDutiesMessage } from './messages.js';
import type { IncidentSchedule, IncidentSlack } from './ports.js';
import type { IncidentStore, NewEvent } from './store.js';
import { timelineMarkdown } from './timeline-markdown.js';
import { tolerate } from './tolerate.js';

export interface IncidentServiceDeps extends Authority {
  config: Pick<OpsConfig, 'workspace' | 'incidents' | 'services'>;
  store: IncidentStore;
  slack: IncidentSlack;
  /** Schedules status updates and escalation steps on time; without it the worker's safety sweep finds them. */
  slots?: IncidentSchedule;
  /** The incident's open follow-ups, for the catch-up (FollowupStore.openFor). */
  openFollowUps?: (incidentId: string) => Promise<Followup[]>;
  log: Logger;
}

/** The incident lifecycle of DESIGN §5: declare, severity, roles, updates, notes, resolve. */
export class IncidentService {
  constructor(private readonly deps: IncidentServiceDeps) {}

  /** Creates the incident, its channel (declarer invited, made commander) and its card in the ops channel. */
  async declare(declaration: Declaration): Promise<Incident> {
    const { actor } = declaration;
    await this.permit(actor, 'responder', 'incident declare');
    const severity = this.severity(declaration.severity);
    const { title, services } = checkedDeclaration(declaration, this.deps.config.services);
    const now = new Date();
    const wanted = channelNameFor(this.deps.config.incidents.channel_prefix, now, title);
    const channel = await this.deps.slack.createChannel(wanted);
    let incident = await this.deps.store.create({
      id: newId('inc'),
      title,
      severity,
      channelId: channel.id,
      channelName: channel.name,
      declaredBy: actor,
      services,
      nextStatusAt: new Date(now.getTime() + this.statusEvery(severity)),
    });
    await this.event(incident, { kind: 'declared', at: now, actor, text: `Declared ${severity}: ${title}` });
    await this.schedule(incident);
    await tolerate(this.deps.log, 'invite the declarer', () => this.deps.slack.invite(channel.id, [actor]));
    await tolerate(this.deps.log, 'post the channel intro', () =>
      this.deps.slack.post(channel.id, introMessage(incident, this.severityText(severity))),
    );
    const cardTs = await tolerate(this.deps.log, 'post the incident card', () =>
      this.deps.slack.postCard(this.deps.config.workspace.ops_channel, {
        incident,
        severityText: this.severityText(severity),
      }),
    );
    if (cardTs) incident = await this.deps.store.update(incident.id, { cardTs });
    this.deps.log.info({ incidentId: incident.id, channel: channel.name, severity }, 'incident declared');
    return incident;
  }

  async setSeverity(actor: string, channel: string, wanted: string): Promise<Incident> {
    const incident = await this.openIncident(channel);
    await this.permit(actor, 'responder', 'incident sev');
    const severity = this.severity(wanted);
    if (severity === incident.severity) throw new UserError(`The incident is already ${severity}.`);
    const changed = await this.deps.store.update(incident.id, { severity });
    // Steps of the new severity may be due now, or at other times.
    await this.schedule(changed);
    const text = `<@${actor}> changed severity ${incident.severity} → ${severity} (${this.severityText(severity)}).`;
    await this.announce(changed, { kind: 'severity', at: new Date(), actor, text });
    return changed;
  }

  async assignRole(actor: string, channel: string, role: IncidentRole, user: string): Promise<Incident> {
    const incident = await this.openIncident(channel);
    await this.permit(actor, 'responder', `incident role ${role}`);
    const changed = await this.deps.store.setRole(incident.id, role, user);
    await this.announce(changed, {
      kind: 'role',
      at: new Date(),
      actor,
      text: `<@${actor}> made <@${user}> ${role}.`,
    });
    await tolerate(this.deps.log, 'invite the new role holder', () =>
      this.deps.slack.invite(incident.channel_id, [user]),
    );
    await tolerate(this.deps.log, 'tell the new role holder', () =>
      this.deps.slack.dm(user, roleDutiesMessage(changed, role, actor)),
    );
    return changed;
  }

  /** A human update: posted in the channel and on the card, and the status-update timer starts again. */
  async update(
    actor: string,
    incidentId: string,
    fields: { status: IncidentStatus; changed: string; next: string },
  ): Promise<Incident> {
    const incident = await this.deps.store.get(incidentId);
    if (!incident) throw new NotFoundError(`There is no incident ${incidentId}.`);
    if (incident.resolved_at) throw new ConflictError(`Incident ${incident.id} is resolved.`);
    await this.permit(actor, 'responder', 'incident update');
    if (fields.status === 'resolved') {
      throw new UserError('Resolve the incident with `/ops incident resolve <summary>`.');
    }
    const update: HumanUpdate = { ...fields, by: actor, at: new Date() };
    const changed = await this.deps.store.recordUpdate(
      incident.id,
      update,
      this.statusEvery(incident.severity),
    );
    // The next status update is one interval from now, which a severity changed since may have made sooner.
    await this.schedule(changed);
    if (fields.status !== incident.status) {
      await this.event(changed, {
        kind: 'status',
        at: update.at,
        actor,
        text: `Status ${incident.status} → ${fields.status}.`,
      });
    }
    await this.announce(changed, {
      kind: 'update',
      at: update.at,
      actor,
      text: `*Update* (${fields.status}): ${fields.changed} — next: ${fields.next}`,
    });
    return changed;
  }

  /** Resolves once; the timeline and a review skeleton go to the channel as a Markdown file. */
  async resolve(actor: string, channel: string, summary: string): Promise<Incident> {
    const incident = await this.openIncident(channel);
    await this.permit(actor, 'responder', 'incident resolve');
    const text = summary.trim();
    if (text === '') throw new UserError('Say how it ended: `/ops incident resolve <summary>`.');
    const now = new Date();
    const resolved = await this.deps.store.resolve(incident.id, text.slice(0, 3000), now);
    if (!resolved) throw new ConflictError(`Incident ${incident.id} is already resolved.`);
    await this.announce(resolved, {
      kind: 'resolved',
      at: now,
      actor,
      text: `<@${actor}> resolved the incident: ${text}`,
    });
    const events = await this.deps.store.events(resolved.id);
    await tolerate(this.deps.log, 'upload the timeline', () =>
      this.deps.slack.upload({
        channel: resolved.channel_id,
        filename: `${resolved.channel_name}-timeline.md`,
        title: `Timeline and review: ${resolved.title}`,
        content: timelineMarkdown(resolved, events, this.severityText(resolved.severity)),
        comment: 'The timeline and a post-incident review skeleton.',
      }),
    );
    return resolved;
  }

  async note(actor: string, channel: string, text: string): Promise<IncidentEvent> {
    const incident = await this.incidentIn(channel);
    await this.permit(actor, 'viewer', 'note');
    const note = text.trim();
    if (note === '') throw new UserError('Usage: `/ops note <text>`.');
    return this.deps.store.addEvent(incident.id, {
      kind: 'note',
      at: new Date(),
      actor,
      text: note.slice(0, 3000),
    });
  }

  async timeline(actor: string, channel: string): Promise<{ incident: Incident; events: IncidentEvent[] }> {
    const incident = await this.incidentIn(channel);
    await this.permit(actor, 'viewer', 'timeline');
    return { incident, events: await this.deps.store.events(incident.id) };
  }

  /**
   * `/ops incident catchup`: what happened since `actor` last posted in the channel (a message, or an entry
   * of theirs on the timeline: a note, an update, a pinned message of theirs), from the timeline.
   */
  async catchUp(actor: string, channel: string): Promise<CatchUp> {
    const incident = await this.incidentIn(channel);
    await this.permit(actor, 'viewer', 'incident catchup');
    const events = await this.deps.store.events(incident.id);
    const posted = await tolerate(this.deps.log, 'read the incident channel’s history', () =>
      this.deps.slack.lastPostBy(incident.channel_id, actor, incident.declared_at),
    );
    const { since, basis } = missedSince(incident, events, actor, posted);
    const read = this.deps.openFollowUps;
    const followUps = read
      ? await tolerate(this.deps.log, 'read the follow-ups', () => read(incident.id))
      : undefined;
    return {
      incident,
      severityText: this.severityText(incident.severity),
      since,
      basis,
      events: events.filter((event) => event.at > since),
      followUps,
    };
  }

  /** `/ops incident export`: the incident's facts and timeline with a review skeleton, as Markdown. */
  async export(actor: string, channel: string): Promise<{ incident: Incident; markdown: string }> {
    const incident = await this.incidentIn(channel);
    await this.permit(actor, 'viewer', 'incident export');
    const events = await this.deps.store.events(incident.id);
    return { incident, markdown: timelineMarkdown(incident, events, this.severityText(incident.severity)) };
  }

  /** The commander's Snooze: no nudges until then (status updates still post). */
  async snooze(actor: string, incidentId: string, minutes: number): Promise<Date> {
    const incident = await this.deps.store.get(incidentId);
    if (!incident || incident.resolved_at) throw new ConflictError('The incident is no longer open.');
    await this.permit(actor, 'responder', 'incident snooze');
    const until = new Date(Date.now() + minutes * 60_000);
    await this.deps.store.snooze(incident.id, until);
    return until;
  }

  /** The incident this channel belongs to, open or resolved. */
  async incidentIn(channel: string): Promise<Incident> {
    const incident = await this.deps.store.byChannel(channel);
    if (!incident) throw new UserError('This is not an incident channel; run it in the incident’s channel.');
    return incident;
  }

  /** How often a status update is due for this severity. */
  statusEvery(severity: string): number {
    const incidents = this.deps.config.incidents;
    return own(incidents.severities, severity)?.status_update_every ?? incidents.status_update_every;
  }

  severityText(severity: string): string {
    return own(this.deps.config.incidents.severities, severity)?.description ?? severity;
  }

  /** Redraws the card in the ops channel (see redrawCard); a failure is logged, the incident goes on. */
  async refreshCard(incident: Incident): Promise<void> {
    const { slack, store, log, config } = this.deps;
    await redrawCard({ slack, store, log }, config.workspace.ops_channel, {
      incident,
      severityText: this.severityText(incident.severity),
    });
  }

  private async openIncident(channel: string): Promise<Incident> {
    const incident = await this.incidentIn(channel);
    if (incident.resolved_at) throw new ConflictError(`Incident ${incident.id} is resolved.`);
    return incident;
  }

  private severity(wanted: string): string {
    const severity = wanted.toUpperCase();
    const known = Object.keys(this.deps.config.incidents.severities);
    if (!known.includes(severity)) {
      throw new UserError(`${wanted} is not a severity; use one of ${known.join(', ')}.`);
    }
    return severity;
  }

  /** Gives the incident its jobs; when Redis cannot take them, the worker's safety sweep adds them later. */
  private async schedule(incident: Incident): Promise<void> {
    const slots = this.deps.slots;
    if (slots)
      await tolerate(this.deps.log, 'schedule the status updates', () => slots.schedule(incident.id));
  }

  /** On the timeline, in the channel and on the card. */
  private async announce(incident: Incident, event: NewEvent): Promise<void> {
    await this.event(incident, event);
    await tolerate(this.deps.log, 'post in the incident channel', () =>
      this.deps.slack.post(incident.channel_id, noticeMessage(event.text)),
    );
    await this.refreshCard(incident);
  }

  private async event(incident: Incident, event: NewEvent): Promise<void> {
    await this.deps.store.addEvent(incident.id, event);
  }

  /** Incident commands need a role anywhere (incidents span services): the one authorizer decides and audits. */
  private permit(actor: string, requiredRole: Role, action: string): Promise<void> {
    const services = Object.keys(this.deps.config.services);
    return authorize(this.deps, { kind: 'incident', actor, action, requiredRole, services });
  }
}
