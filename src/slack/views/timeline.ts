import type { KnownBlock } from '@slack/types';
import type { Incident, IncidentEvent } from '../../incidents/incident.js';
import type { MessageContent } from '../transport/outbox/message.js';
import { clip, LIMITS } from './limits.js';

/** Entries per `/ops timeline` page: with one line each at most 300 characters, a page stays in a few sections. */
export const TIMELINE_PAGE = 25;

const time = (date: Date) => date.toISOString().slice(11, 16);

function entryLine(event: IncidentEvent): string {
  const who = event.actor ? ` <@${event.actor}>` : '';
  const link = event.permalink ? ` <${event.permalink}|message>` : '';
  return clip(`\`${time(event.at)}\` *${event.kind}*${who}: ${event.text.replace(/\n/g, ' ')}`, 300) + link;
}

/** One page of the timeline as blocks: sections of whole lines, each within Slack's section limit. */
export function timelinePage(incident: Incident, events: IncidentEvent[], page: number): MessageContent {
  const pages = Math.max(1, Math.ceil(events.length / TIMELINE_PAGE));
  const shown = events.slice((page - 1) * TIMELINE_PAGE, page * TIMELINE_PAGE);
  const header = `*Timeline of ${incident.id}*: ${incident.title} — page ${Math.min(page, pages)} of ${pages}, ${events.length} entries (times UTC)`;
  const sections: string[] = [];
  let current = '';
  for (const line of shown.map(entryLine)) {
    if (current && current.length + line.length + 1 > LIMITS.sectionText) {
      sections.push(current);
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) sections.push(current);
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: header } },
    ...sections.map((text): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text } })),
  ];
  if (shown.length === 0) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: page > pages ? `_There is no page ${page}._` : '_Nothing yet._' },
    });
  }
  if (page < pages) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `\`/ops timeline ${page + 1}\` shows the next page.` }],
    });
  }
  return { text: [header, ...sections].join('\n'), blocks };
}
