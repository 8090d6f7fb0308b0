import type { Button, KnownBlock } from '@slack/types';
import type { Followup, FollowupFilter } from '../../followups/followup.js';
import type { OwnerNotice } from '../../followups/ports.js';
import type { MessageContent } from '../transport/outbox/message.js';
import { FOLLOWUP_CLOSE } from './ids.js';
import { clip, LIMITS } from './limits.js';

/** Follow-ups `/ops followups` shows one by one; the rest are counted. */
const LISTED = 20;

/** A follow-up's Close button. */
export function closeButton(followup: Pick<Followup, 'id'>): Button {
  return {
    type: 'button',
    text: { type: 'plain_text', text: 'Close' },
    action_id: FOLLOWUP_CLOSE,
    value: String(followup.id),
  };
}

/** `#12 Add an index on jobs.study_id`, the text cut to `max`. */
function title(followup: Followup, max = 300): string {
  return `#${followup.id} ${clip(followup.text, max)}`;
}

/** Owner, due day and state, as one line. */
function facts(followup: Followup): string {
  const owner = followup.owner ? `owner <@${followup.owner}>` : 'no owner';
  const due = followup.due_on ? ` · due ${followup.due_on}` : '';
  const state = followup.closed_at
    ? ` · :white_check_mark: closed${followup.closed_by ? ` by <@${followup.closed_by}>` : ''}`
    : '';
  return `${owner}${due}${state}`;
}

/** The follow-up as posted in its incident's channel: what, who, when, and Close while it is open. */
export function followupPost(followup: Followup): MessageContent {
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(`:memo: *Follow-up ${title(followup)}*\n${facts(followup)}`, LIMITS.sectionText),
      },
      ...(followup.closed_at ? {} : { accessory: closeButton(followup) }),
    },
    {
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: `Added by <@${followup.created_by}> · \`/ops followups\` lists them` },
      ],
    },
  ];
  const state = followup.closed_at ? 'closed' : 'open';
  return { text: clip(`Follow-up #${followup.id} (${state}): ${followup.text}`, 300), blocks };
}

/** The owner's direct message: a follow-up given to them, or due; with its Close button. */
export function followupNotice(followup: Followup, notice: OwnerNotice): MessageContent {
  const where = `<#${followup.incident_channel}> (${clip(followup.incident_title, 80)})`;
  const head =
    notice === 'assigned'
      ? `<@${followup.created_by}> gave you a follow-up of ${where}`
      : `:alarm_clock: Your follow-up of ${where} is due${followup.due_on ? ` (${followup.due_on})` : ''}`;
  const text = `${head}:\n*${title(followup)}*${followup.due_on && notice === 'assigned' ? `\nDue ${followup.due_on}.` : ''}`;
  return {
    text: clip(`${notice === 'due' ? 'Due: ' : ''}follow-up #${followup.id}: ${followup.text}`, 300),
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: clip(text, LIMITS.sectionText) },
        accessory: closeButton(followup),
      },
    ],
  };
}

const HEADINGS: Record<FollowupFilter, string> = {
  mine: 'Your open follow-ups',
  open: 'Open follow-ups',
  incident: 'Follow-ups of this incident',
};

/** `/ops followups`: one section per follow-up (Close on open ones), at most LISTED, then how many more. */
export function followupList(
  filter: FollowupFilter,
  followups: Followup[],
  total: number,
): { text: string; blocks: KnownBlock[] } {
  const heading = `*${HEADINGS[filter]}* (${total})`;
  if (followups.length === 0) {
    const none = filter === 'mine' ? 'You own no open follow-ups.' : 'No follow-ups.';
    return { text: `${HEADINGS[filter]}: none.`, blocks: [section(`${heading}\n${none}`)] };
  }
  const shown = followups.slice(0, LISTED);
  const blocks: KnownBlock[] = [section(heading)];
  for (const followup of shown) {
    const where =
      filter === 'incident' ? '' : `\n<#${followup.incident_channel}> ${clip(followup.incident_title, 80)}`;
    blocks.push({
      ...section(`*${title(followup, 500)}*\n${facts(followup)}${where}`),
      ...(followup.closed_at ? {} : { accessory: closeButton(followup) }),
    });
  }
  const more = total - shown.length;
  if (more > 0) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `_and ${more} more not shown here_` }],
    });
  }
  const lines = shown.map((followup) => `#${followup.id} ${clip(followup.text, 80)}`);
  return { text: clip(`${HEADINGS[filter]} (${total}): ${lines.join('; ')}`, 1000), blocks };
}

/** What the ops channel is told once when Slack will not let opsbot keep follow-ups in a Slack List. */
export function listRefusedNotice(reason: string): MessageContent {
  const text =
    `:information_source: Follow-ups are kept in opsbot only: Slack would not let opsbot keep them in a Slack ` +
    `List (it answered \`${clip(reason, 60)}\`). \`/ops followups\` lists them. For the List as well, give the ` +
    'app the `lists:write` scope (Lists need a paid Slack plan) and reinstall it; opsbot asks Slack again once a day.';
  return { text, blocks: [section(text)] };
}

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text, LIMITS.sectionText) } };
}
