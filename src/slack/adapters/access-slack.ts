import type { WebClient } from '@slack/web-api';
import type { AccessSlack } from '../../access/ports.js';
import type { SlackOutbox } from '../transport/outbox/outbox.js';
import { accessCard } from '../views/access-card.js';

/**
 * Access cards and messages through the outbox: a grant's card is posted once under `access:<id>` (a request in
 * the ops channel, break-glass in its notify channel) and edited in place after; a DM goes to the person's
 * direct conversation with opsbot (conversations.open, im:write), posted once by its key.
 */
export function slackAccess(outbox: SlackOutbox, client: WebClient, timeZone: string): AccessSlack {
  return {
    async card(grant) {
      const content = accessCard(grant, timeZone, new Date());
      const key = `access:${grant.id}`;
      const first = grant.state === 'pending' || (grant.state === 'active' && grant.break_glass);
      await outbox.enqueue(
        first
          ? { kind: 'post', channel: grant.card_channel, key, content }
          : { kind: 'update', channel: grant.card_channel, target: { key }, content },
      );
    },
    async tell(user, key, text) {
      const opened = await client.conversations.open({ users: user });
      const channel = opened.channel?.id;
      if (!channel) throw new Error('conversations.open returned no channel');
      await outbox.enqueue({ kind: 'post', channel, key, content: { text } });
    },
  };
}
