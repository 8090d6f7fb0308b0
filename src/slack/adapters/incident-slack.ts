import type { WebClient } from '@slack/web-api';
import { UnavailableError } from '../../errors.js';
import type { IncidentSlack } from '../../incidents/ports.js';
import type { SlackOutbox } from '../transport/outbox/outbox.js';
import { slackFileUploader } from '../transport/upload-file.js';
import { incidentCard, incidentMessage } from '../views/incident.js';

/** How many `-2`, `-3`… suffixes to try when an incident channel's name is taken. */
const NAME_ATTEMPTS = 20;

const errorCode = (error: unknown) => (error as { data?: { error?: string } }).data?.error;

/**
 * Incidents' Slack calls: messages drawn by the incident views and sent through the outbox (in order per
 * channel, retried while Slack is down), channels, invitations and reads through the Web API.
 */
export function slackIncidents(client: WebClient, outbox: SlackOutbox): IncidentSlack {
  const upload = slackFileUploader(client);
  return {
    async createChannel(name) {
      for (let attempt = 1; attempt <= NAME_ATTEMPTS; attempt++) {
        const candidate = attempt === 1 ? name : `${name}-${attempt}`;
        try {
          const created = await client.conversations.create({ name: candidate });
          const id = created.channel?.id;
          if (!id) throw new Error('conversations.create returned no channel');
          return { id, name: created.channel?.name ?? candidate };
        } catch (error) {
          if (errorCode(error) !== 'name_taken') {
            throw new UnavailableError(
              `Slack would not create #${candidate} (${errorCode(error) ?? 'no answer'}).`,
            );
          }
        }
      }
      throw new UnavailableError(`#${name} and ${NAME_ATTEMPTS - 1} numbered variants are all taken.`);
    },
    async invite(channel, users) {
      try {
        await client.conversations.invite({ channel, users: users.join(',') });
      } catch (error) {
        if (errorCode(error) !== 'already_in_channel') throw error;
      }
    },
    async post(channel, message) {
      await outbox.enqueue({ kind: 'post', channel, content: incidentMessage(message) });
    },
    postCard(channel, card) {
      const key = `incident:${card.incident.id}:card`;
      return outbox.deliver({ kind: 'post', channel, key, content: incidentCard(card) });
    },
    async updateCard(channel, ts, card) {
      await outbox.enqueue({ kind: 'update', channel, target: { ts }, content: incidentCard(card) });
    },
    async dm(user, message) {
      const opened = await client.conversations.open({ users: user });
      const channel = opened.channel?.id;
      if (!channel) throw new Error('conversations.open returned no channel');
      await outbox.enqueue({ kind: 'post', channel, content: incidentMessage(message) });
    },
    upload,
    async message(channel, ts) {
      const found = (await topLevelMessage(client, channel, ts)) ?? (await threadReply(client, channel, ts));
      if (!found) return undefined;
      const permalink = await client.chat
        .getPermalink({ channel, message_ts: ts })
        .then((answer) => answer.permalink)
        .catch(() => undefined);
      return { ts, text: found.text ?? '', user: found.user ?? found.bot_id, permalink };
    },
  };
}

/** The top-level message at `ts`: history up to it, inclusive. A thread reply is not there (an older message is). */
async function topLevelMessage(client: WebClient, channel: string, ts: string) {
  const { messages } = await client.conversations.history({ channel, latest: ts, inclusive: true, limit: 1 });
  return messages?.find((message) => message.ts === ts);
}

/** A reply in a thread: `conversations.replies` takes the ts of any message in the thread. */
async function threadReply(client: WebClient, channel: string, ts: string) {
  try {
    const { messages } = await client.conversations.replies({
      channel,
      ts,
      oldest: ts,
      latest: ts,
      inclusive: true,
    });
    return messages?.find((message) => message.ts === ts);
  } catch (error) {
    if (errorCode(error) === 'thread_not_found') return undefined;
    throw error;
  }
}
