import type { KnownBlock } from '@slack/types';
import { type AccessGrant, scopeText } from '../../access/grant.js';
import { untilText } from '../../auth/until-text.js';
import { formatDuration } from '../../config/duration.js';
import { escapeMrkdwn } from './alert-card.js';
import { clip, LIMITS } from './limits.js';

/**
 * Action ids of an access card's buttons; each button's value is the grant's id, and the card's actions block is
 * `access:<grant id>`. Stable across releases so old cards keep working.
 */
export const ACCESS_BUTTONS = {
  approve: 'access_approve',
  deny: 'access_deny',
  revoke: 'access_revoke',
} as const;

/**
 * The card of a just-in-time grant, in the ops channel (a request) or the break-glass channel: who, which role
 * where, for how long and why, its state, and the buttons its state allows (Approve and Deny while it waits,
 * Revoke while it counts). Break-glass says so first, loudly.
 */
export function accessCard(
  grant: AccessGrant,
  timeZone: string,
  now: Date,
): { text: string; blocks: KnownBlock[] } {
  const who = `<@${grant.user_id}>`;
  const what = `*${grant.role}* ${scopeText(grant).replace(/^on (?!every)(.*)$/, 'on *$1*')}`;
  const until = grant.expires_at ? untilText(grant.expires_at, now, timeZone) : '';
  const lasting = formatDuration(grant.duration_ms);
  const headline = ((): string => {
    switch (grant.state) {
      case 'pending':
        return `:key: ${who} asks for ${what} for ${lasting}`;
      case 'active':
        return grant.break_glass
          ? `:rotating_light: *BREAK-GLASS* ${who} took ${what} without approval, for ${lasting} (until ${until})`
          : `:white_check_mark: ${who} is ${what} until ${until}, approved by <@${grant.decided_by}>`;
      case 'denied':
        return `:no_entry: ${who} asked for ${what} for ${lasting}: denied by <@${grant.decided_by}>`;
      case 'revoked':
        return `:heavy_multiplication_x: ${who}'s ${what}${grant.break_glass ? ' (break-glass)' : ''} was revoked by <@${grant.ended_by}>`;
      case 'expired':
        return `:alarm_clock: ${who}'s ${what}${grant.break_glass ? ' (break-glass)' : ''} has ended`;
      case 'lapsed':
        return `:hourglass: ${who} asked for ${what} for ${lasting}: nobody decided in time`;
    }
  })();
  const text = clip(`${headline}\n> ${escapeMrkdwn(grant.reason)}`, LIMITS.sectionText);
  const whoMay =
    grant.state === 'pending'
      ? ' · an admin or an approver may approve; never the requester'
      : grant.state === 'active'
        ? ` · times in ${timeZone}`
        : '';
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: clip(`${grant.id} · asked in <#${grant.requested_in}>${whoMay}`, LIMITS.fieldText),
        },
      ],
    },
  ];
  const buttons = buttonsFor(grant);
  if (buttons.length > 0) blocks.push({ type: 'actions', block_id: `access:${grant.id}`, elements: buttons });
  return { text: headline.replace(/[*]/g, ''), blocks };
}

function buttonsFor(grant: AccessGrant) {
  const button = (label: string, actionId: string, style?: 'primary' | 'danger') => ({
    type: 'button' as const,
    text: { type: 'plain_text' as const, text: label },
    action_id: actionId,
    value: grant.id,
    ...(style ? { style } : {}),
  });
  if (grant.state === 'pending') {
    return [
      button('Approve', ACCESS_BUTTONS.approve, 'primary'),
      button('Deny', ACCESS_BUTTONS.deny, 'danger'),
    ];
  }
  if (grant.state === 'active') return [button('Revoke', ACCESS_BUTTONS.revoke, 'danger')];
  return [];
}

/** `/ops access`: requests waiting and grants that count now, one line each, times in the workspace's zone. */
export function accessListText(grants: readonly AccessGrant[], timeZone: string, now: Date): string {
  if (grants.length === 0) return 'No access grants are active and no requests are waiting.';
  const lines = grants.map((grant) => {
    const who = `<@${grant.user_id}> *${grant.role}* ${scopeText(grant)}`;
    const reason = `_${clip(escapeMrkdwn(grant.reason), 200)}_`;
    if (grant.state === 'pending') {
      return `• \`${grant.id}\` ${who} for ${formatDuration(grant.duration_ms)}, waiting for approval: ${reason}`;
    }
    const until = grant.expires_at ? untilText(grant.expires_at, now, timeZone) : '?';
    const by = grant.break_glass ? ':rotating_light: break-glass' : `approved by <@${grant.decided_by}>`;
    return `• \`${grant.id}\` ${who} until ${until}, ${by}: ${reason}`;
  });
  return clip(
    [`*Access grants and requests* (times in ${timeZone})`, ...lines].join('\n'),
    LIMITS.sectionText,
  );
}
