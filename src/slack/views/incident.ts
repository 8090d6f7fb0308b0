import type { KnownBlock } from '@slack/types';
import type { ServiceHealth } from '../../health/check-service.js';
import { durationText, type Incident, type IncidentRole } from '../../incidents/incident.js';
import type { SlackMessage } from '../../incidents/ports.js';
import { clip, LIMITS } from './limits.js';
import { checkLine, LEVEL_ICON, levelName, utc } from './status.js';

const STATUS_ICON: Record<Incident['status'], string> = {
  investigating: ':mag:',
  identified: ':dart:',
  monitoring: ':eyes:',
  resolved: ':white_check_mark:',
};

/** The button values and action ids of incident messages; handlers match on these. */
export const INCIDENT_ACTIONS = {
  postUpdate: 'incident_post_update',
  snooze: 'incident_snooze',
} as const;

export const SNOOZE_CHOICES = [
  { label: 'Snooze 30m', minutes: 30 },
  { label: 'Snooze 1h', minutes: 60 },
  { label: 'Snooze 2h', minutes: 120 },
] as const;

const mention = (user: string | null) => (user ? `<@${user}>` : '_nobody_');

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text, LIMITS.sectionText) } };
}

function context(text: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: clip(text, LIMITS.fieldText) }] };
}

/** `SEV2 · 🔍 investigating`, the line every incident message starts from. */
function stateLine(incident: Incident, severityText: string): string {
  return `*${incident.severity}* (${severityText}) · ${STATUS_ICON[incident.status]} ${incident.status}`;
}

/** The announcement card in the ops channel, edited in place as the incident changes. */
export function incidentCard(incident: Incident, severityText: string): SlackMessage {
  const update = incident.latest_update;
  const title = `${incident.resolved_at ? 'Resolved' : 'Incident'}: ${incident.title}`;
  const lines = [
    `*${title}*`,
    stateLine(incident, severityText),
    `Channel <#${incident.channel_id}> · commander ${mention(incident.commander)}` +
      (incident.scribe ? ` · scribe ${mention(incident.scribe)}` : '') +
      (incident.comms ? ` · comms ${mention(incident.comms)}` : ''),
  ];
  if (update)
    lines.push(
      `*Latest update* (${utc(update.at)}, <@${update.by}>): ${update.changed} — next: ${update.next}`,
    );
  if (incident.resolved_at && incident.summary) lines.push(`*Summary*: ${incident.summary}`);
  return {
    text: `${title} (${incident.severity}, ${incident.status})`,
    blocks: [
      section(lines.join('\n')),
      context(
        `${incident.id} · declared by <@${incident.declared_by}> at ${utc(incident.declared_at)} · open ${durationText(incident)}`,
      ),
    ],
  };
}

/** The first message in the incident channel: what this is and the commands that run it. */
export function channelIntro(incident: Incident, severityText: string): SlackMessage {
  const text = `Incident ${incident.id}: ${incident.title}`;
  return {
    text,
    blocks: [
      section(`*${text}*\n${stateLine(incident, severityText)}\nCommander: ${mention(incident.commander)}`),
      context(
        '`/ops incident update` posts a status update · `/ops incident sev <SEV>` · `/ops incident role commander|scribe|comms @user` · ' +
          '`/ops note <text>` · `/ops timeline` · `/ops incident resolve <summary>` · 📌 a message to put it on the timeline',
      ),
    ],
  };
}

/** A line in the incident channel about a change (severity, role, resolve). */
export function incidentNotice(text: string): SlackMessage {
  return { text, blocks: [section(text)] };
}

/** What someone given an incident role is asked to do, by DM. */
export function roleDuties(incident: Incident, role: IncidentRole, by: string): SlackMessage {
  const duties: Record<IncidentRole, string> = {
    commander:
      'You lead the response: decide, delegate, and keep everyone informed. Post `/ops incident update` at least every status interval; opsbot nudges you when one is due.',
    scribe:
      'You keep the record: add what matters with `/ops note <text>` or 📌 on messages in the incident channel, so the timeline is complete for the review.',
    comms:
      'You talk to people outside the response: stakeholders and customers. Use the latest update on the incident card as your source.',
  };
  const text = `<@${by}> made you ${role} of incident ${incident.id}: ${incident.title} (<#${incident.channel_id}>).`;
  return { text, blocks: [section(`${text}\n${duties[role]}`)] };
}

/** What the scheduled status update carries (DESIGN §5). */
export interface StatusUpdateFacts {
  incident: Incident;
  severityText: string;
  actions: string[];
  health: { service: string; health: ServiceHealth }[];
  now: Date;
}

/** The scheduled status update in the incident channel. */
export function statusUpdateMessage(facts: StatusUpdateFacts): SlackMessage {
  const { incident, severityText, actions, health, now } = facts;
  const update = incident.latest_update;
  const lines = [
    `*Status update* for ${incident.id}: ${incident.title}`,
    stateLine(incident, severityText),
    `Open for ${durationText(incident, now)} · commander ${mention(incident.commander)}`,
    update
      ? `*Latest update* (${utc(update.at)}, <@${update.by}>): ${update.changed} — next: ${update.next}`
      : '*Latest update*: _none yet_',
    `*Actions since the last status update*: ${actions.length === 0 ? '_none_' : ''}`,
    ...actions.map((line) => `  • ${line}`),
  ];
  if (health.length > 0) {
    lines.push('*Health of the affected services*:');
    for (const { service, health: h } of health) {
      lines.push(`  *${service}* ${LEVEL_ICON[h.level]} ${levelName(h.level)}`, ...h.checks.map(checkLine));
    }
  }
  return {
    text: `Status update for ${incident.id}: ${incident.status}`,
    blocks: [section(lines.join('\n'))],
  };
}

/** The nudge to the commander when no human update came since the last slot. */
export function nudgeMessage(incident: Incident): SlackMessage {
  const who = incident.commander ? `<@${incident.commander}>` : 'Commander';
  const text = `${who}, no status update since the last one was due. What changed, and what is next?`;
  return {
    text,
    blocks: [
      section(text),
      {
        type: 'actions',
        block_id: `incident:${incident.id}`,
        elements: [
          {
            type: 'button',
            action_id: INCIDENT_ACTIONS.postUpdate,
            text: { type: 'plain_text', text: 'Post an update' },
            style: 'primary',
            value: incident.id,
          },
          ...SNOOZE_CHOICES.map((choice) => ({
            type: 'button' as const,
            action_id: `${INCIDENT_ACTIONS.snooze}_${choice.minutes}`,
            text: { type: 'plain_text' as const, text: choice.label },
            value: `${incident.id}:${choice.minutes}`,
          })),
        ],
      },
    ],
  };
}

/** An escalation reminder: the incident is still open after `after`. */
export function escalationMessage(incident: Incident, to: string, after: string): SlackMessage {
  const target = to.startsWith('S') ? `<!subteam^${to}>` : `<@${to}>`;
  const text = `${target}: incident ${incident.id} (${incident.severity}) "${incident.title}" is still unresolved after ${after}. Please join <#${incident.channel_id}>.`;
  return { text, blocks: [section(text)] };
}
