import { durationText, type Incident, type IncidentEvent } from './incident.js';

const time = (date: Date) => `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/** Slack markup as plain text for Markdown: mentions and channel links keep their ids. */
function plain(text: string): string {
  return text
    .replace(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g, '@$1')
    .replace(/<#([CG][A-Z0-9]+)(?:\|([^>]*))?>/g, (_, id: string, name?: string) => `#${name || id}`)
    .replace(/<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>/g, '@group:$1')
    .replace(/\n/g, ' ');
}

/** The resolved incident as a Markdown file: facts, the timeline, and a post-incident review skeleton. */
export function timelineMarkdown(incident: Incident, events: IncidentEvent[], severityText: string): string {
  const roles = (['commander', 'scribe', 'comms'] as const)
    .map((role) => (incident[role] ? `${role} @${incident[role]}` : undefined))
    .filter(Boolean)
    .join(', ');
  const lines = [
    `# ${incident.id}: ${incident.title}`,
    '',
    `- Severity: ${incident.severity} (${severityText})`,
    `- Declared: ${time(incident.declared_at)} by @${incident.declared_by}`,
    `- Resolved: ${incident.resolved_at ? time(incident.resolved_at) : 'not yet'}`,
    `- Duration: ${durationText(incident)}`,
    `- Roles: ${roles || 'none'}`,
    `- Channel: #${incident.channel_name}`,
    ...(incident.services.length > 0 ? [`- Services: ${incident.services.join(', ')}`] : []),
    `- Summary: ${incident.summary ? plain(incident.summary) : ''}`,
    '',
    '## Timeline',
    '',
    ...events.map((event) => {
      const who = event.actor ? ` @${event.actor}` : '';
      const link = event.permalink ? ` ([message](${event.permalink}))` : '';
      return `- ${time(event.at)} · ${event.kind}${who}: ${plain(event.text)}${link}`;
    }),
    '',
    '## Post-incident review',
    '',
    '### What happened',
    '',
    '### Impact',
    '_Who was affected, how, and for how long._',
    '',
    '### Root cause',
    '',
    '### What went well',
    '',
    '### What went wrong',
    '',
    '### Action items',
    '| action | owner | due |',
    '|---|---|---|',
    '|  |  |  |',
    '',
  ];
  return lines.join('\n');
}
