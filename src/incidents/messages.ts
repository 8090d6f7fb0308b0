import type { EscalationStep } from './escalation-config.js';
import { durationText, type Incident, type IncidentRole } from './incident.js';
import type { IncidentMessage, StatusUpdateFacts } from './ports.js';

/** The first message in the incident channel: what this is (Slack adds the commands that run it). */
export function introMessage(incident: Incident, severityText: string): IncidentMessage {
  return { kind: 'intro', text: `Incident ${incident.id}: ${incident.title}`, incident, severityText };
}

/** A line in the incident channel about a change (severity, role, update, resolve). */
export function noticeMessage(text: string): IncidentMessage {
  return { kind: 'notice', text };
}

/** The DM to someone given an incident role: who gave it, for which incident (Slack adds the duties). */
export function roleDutiesMessage(incident: Incident, role: IncidentRole, by: string): IncidentMessage {
  const text = `<@${by}> made you ${role} of incident ${incident.id}: ${incident.title} (<#${incident.channel_id}>).`;
  return { kind: 'role-duties', text, role };
}

/** The scheduled status update in the incident channel. */
export function statusUpdateMessage(facts: StatusUpdateFacts): IncidentMessage {
  const { incident } = facts;
  return { kind: 'status-update', text: `Status update for ${incident.id}: ${incident.status}`, facts };
}

/** The nudge to the commander when no human update came since the last slot. */
export function nudgeMessage(incident: Incident): IncidentMessage {
  const who = incident.commander ? `<@${incident.commander}>` : 'Commander';
  const text = `${who}, no status update since the last one was due. What changed, and what is next?`;
  return { kind: 'nudge', text, incident };
}

/**
 * An escalation step firing: `to` (a user, or a user group `S…`) is asked to join; the sentence says why now
 * (its offset from declaration or from the previous step, or just that the incident is open for a 0m step)
 * and that PagerDuty is being paged when the step pages.
 */
export function escalationMessage(
  incident: Incident,
  step: Pick<EscalationStep, 'to' | 'after' | 'from' | 'page'>,
  after: string,
): IncidentMessage {
  const target = step.to.startsWith('S') ? `<!subteam^${step.to}>` : `<@${step.to}>`;
  const why =
    step.after === 0
      ? 'is open'
      : step.from === 'previous'
        ? `is still unresolved ${after} after the previous escalation`
        : `is still unresolved after ${after}`;
  const paging = step.page
    ? ` PagerDuty escalation policy ${step.page.escalation_policy} is being paged.`
    : '';
  const text = `${target}: incident ${incident.id} (${incident.severity}) "${incident.title}" ${why}. Please join <#${incident.channel_id}>.${paging}`;
  return { kind: 'escalation', text };
}

/** In the incident channel: what paging PagerDuty for an escalation step did. */
export function pagedMessage(what: string): IncidentMessage {
  return noticeMessage(`Escalation: ${what}`);
}

/** In the incident channel: paging failed, and when it is tried again (null: never, it cannot be done). */
export function pageFailedMessage(
  policy: string,
  reason: string,
  retryAt: Date | null,
  now: Date,
): IncidentMessage {
  const next = retryAt
    ? `opsbot tries again in ${durationText({ declared_at: now, resolved_at: retryAt })}.`
    : 'opsbot will not try again; page them in PagerDuty.';
  return noticeMessage(`Escalation: could not page PagerDuty escalation policy ${policy}: ${reason} ${next}`);
}
