import type { Incident, IncidentRole } from './incident.js';
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

/** An escalation reminder to `to` (a user, or a user group `S…`): the incident is still open after `after`. */
export function escalationMessage(incident: Incident, to: string, after: string): IncidentMessage {
  const target = to.startsWith('S') ? `<!subteam^${to}>` : `<@${to}>`;
  const text = `${target}: incident ${incident.id} (${incident.severity}) "${incident.title}" is still unresolved after ${after}. Please join <#${incident.channel_id}>.`;
  return { kind: 'escalation', text };
}
