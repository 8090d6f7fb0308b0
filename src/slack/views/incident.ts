import type { KnownBlock } from '@slack/types';
import { durationText, type Incident, type IncidentRole } from '../../incidents/incident.js';
import type { IncidentCard, IncidentMessage, StatusUpdateFacts } from '../../incidents/ports.js';
import type { MessageContent } from '../transport/outbox/message.js';
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

/** The snoozes a nudge offers, each a button `incident_snooze_<minutes>`. */
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
export function incidentCard({ incident, severityText }: IncidentCard): MessageContent {
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

/** Something incidents say, as a Slack message: its sentence as the fallback text, drawn in blocks. */
export function incidentMessage(message: IncidentMessage): MessageContent {
  return { text: message.text, blocks: blocksOf(message) };
}

function blocksOf(message: IncidentMessage): KnownBlock[] {
  switch (message.kind) {
    case 'intro': {
      const { incident, severityText } = message;
      return [
        section(
          `*${message.text}*\n${stateLine(incident, severityText)}\nCommander: ${mention(incident.commander)}`,
        ),
        context(
          '`/ops incident update` posts a status update · `/ops incident sev <SEV>` · `/ops incident role commander|scribe|comms @user` · ' +
            '`/ops note <text>` · `/ops timeline` · `/ops incident resolve <summary>` · 📌 a message to put it on the timeline',
        ),
      ];
    }
    case 'role-duties':
      return [section(`${message.text}\n${ROLE_DUTIES[message.role]}`)];
    case 'status-update':
      return [section(statusUpdateLines(message.facts).join('\n'))];
    case 'nudge':
      return [section(message.text), nudgeButtons(message.incident)];
    case 'notice':
    case 'escalation':
      return [section(message.text)];
  }
}

/** What someone given an incident role is asked to do. */
const ROLE_DUTIES: Record<IncidentRole, string> = {
  commander:
    'You lead the response: decide, delegate, and keep everyone informed. Post `/ops incident update` at least every status interval; opsbot nudges you when one is due.',
  scribe:
    'You keep the record: add what matters with `/ops note <text>` or 📌 on messages in the incident channel, so the timeline is complete for the review.',
  comms:
    'You talk to people outside the response: stakeholders and customers. Use the latest update on the incident card as your source.',
};

function statusUpdateLines({ incident, severityText, actions, health, now }: StatusUpdateFacts): string[] {
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
  return lines;
}

/** The nudge's buttons: Post an update, and the snoozes. */
function nudgeButtons(incident: Incident): KnownBlock {
  return {
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
  };
}
