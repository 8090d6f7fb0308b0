import type { KnownBlock } from '@slack/types';
import type { CatchUp } from '../../incidents/catch-up.js';
import type { EventKind, IncidentEvent } from '../../incidents/incident.js';
import type { MessageContent } from '../transport/outbox/message.js';
import { clip, LIMITS } from './limits.js';
import { utc } from './status.js';

/** The longest line of a catch-up: an entry's text is cut there, with an ellipsis. */
const LINE_CHARS = 400;

/** The catch-up's groups, in the order they are read, and the timeline kinds each gathers. */
const GROUPS: { title: string; kinds: readonly EventKind[] }[] = [
  { title: 'Status and severity', kinds: ['severity', 'status', 'resolved'] },
  { title: 'Updates', kinds: ['update'] },
  { title: 'Actions and their results', kinds: ['action'] },
  { title: 'Also on the timeline', kinds: ['role', 'note', 'pin', 'escalation', 'pagerduty', 'declared'] },
];

const BASIS: Record<CatchUp['basis'], string> = {
  message: 'your last message here',
  timeline: 'your last entry on the timeline',
  declaration: 'it was declared',
};

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

function entryLine(event: IncidentEvent): string {
  const text = clip(event.text.replace(/\s*\n\s*/g, ' '), LINE_CHARS);
  // "<@U0ALICE> changed severity…" names its author already.
  const who = event.actor && !text.startsWith(`<@${event.actor}>`) ? ` <@${event.actor}>:` : '';
  const link = event.permalink ? ` <${event.permalink}|message>` : '';
  return `• \`${utc(event.at).slice(11)}\`${who} ${text}${link}`;
}

/**
 * A titled list as one section within Slack's limit: whole lines while they fit, then a visible note of how
 * many more there are and where to read them.
 */
export function listSection(title: string, lines: string[], more: string): KnownBlock {
  let text = `*${title}*`;
  for (const [i, line] of lines.entries()) {
    const note = `\n_…and ${lines.length - i} more: ${more}._`;
    if (text.length + 1 + line.length + (i < lines.length - 1 ? note.length : 0) > LIMITS.sectionText) {
      text += note;
      break;
    }
    text += `\n${line}`;
  }
  return section(clip(text, LIMITS.sectionText));
}

/** `/ops incident catchup`: what the person missed, by kind, and what is still open; only they see it. */
export function catchUpMessage(catchUp: CatchUp): MessageContent {
  const { incident, events } = catchUp;
  const headline = clip(
    `*Catch-up on ${incident.id}*: ${incident.title} — since ${BASIS[catchUp.basis]} (${utc(catchUp.since)})`,
    LIMITS.sectionText,
  );
  const now =
    `Now: *${incident.severity}* (${catchUp.severityText}) · ${incident.status}` +
    ` · commander ${incident.commander ? `<@${incident.commander}>` : '_nobody_'}`;
  const blocks: KnownBlock[] = [section(headline), section(clip(now, LIMITS.sectionText))];
  if (events.length === 0) blocks.push(section('_Nothing new on the timeline since then._'));
  for (const group of GROUPS) {
    const lines = events.filter((event) => group.kinds.includes(event.kind)).map(entryLine);
    if (lines.length > 0) blocks.push(listSection(group.title, lines, '`/ops timeline` shows them all'));
  }
  const open = catchUp.followUps;
  if (open && open.length > 0) {
    const lines = open.map(
      (f) =>
        `• ${clip(f.text, LINE_CHARS)}${f.owner ? ` — <@${f.owner}>` : ''}${f.due_on ? `, due ${f.due_on}` : ''}`,
    );
    blocks.push(listSection('Open follow-ups', lines, '`/ops followups incident` lists them all'));
  }
  const counts = `${events.length} ${events.length === 1 ? 'entry' : 'entries'} since ${utc(catchUp.since)}`;
  return { text: `Catch-up on ${incident.id}: ${counts}.`, blocks };
}
