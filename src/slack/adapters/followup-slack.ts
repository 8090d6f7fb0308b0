import type { WebClient } from '@slack/web-api';
import type { FollowupSlack } from '../../followups/ports.js';
import type { SlackOutbox } from '../transport/outbox/outbox.js';
import { followupNotice, followupPost } from '../views/followups.js';

/** The key of a follow-up's post in its incident channel, which its later edits refer to. */
const postKey = (id: number) => `followup:${id}`;

/**
 * Follow-ups in Slack: their posts in incident channels and their owners' direct messages, drawn by the
 * follow-up views and sent through the outbox; each is keyed, so it is posted once however often it is asked.
 */
export function slackFollowups(
  client: Pick<WebClient, 'conversations'>,
  outbox: Pick<SlackOutbox, 'enqueue'>,
): FollowupSlack {
  return {
    async post(followup) {
      const channel = followup.incident_channel;
      await outbox.enqueue({
        kind: 'post',
        channel,
        key: postKey(followup.id),
        content: followupPost(followup),
      });
    },
    async showClosed(followup) {
      await outbox.enqueue({
        kind: 'update',
        channel: followup.incident_channel,
        target: { key: postKey(followup.id) },
        content: followupPost(followup),
      });
    },
    async tellOwner(followup, notice) {
      if (!followup.owner) return;
      const opened = await client.conversations.open({ users: followup.owner });
      const channel = opened.channel?.id;
      if (!channel) throw new Error('conversations.open returned no channel');
      const key = `${postKey(followup.id)}:${notice}:${followup.owner}`;
      await outbox.enqueue({ kind: 'post', channel, key, content: followupNotice(followup, notice) });
    },
  };
}
