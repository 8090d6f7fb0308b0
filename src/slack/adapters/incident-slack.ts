import type { WebClient } from '@slack/web-api';
import { UnavailableError } from '../../errors.js';
import { messageTime } from '../../incidents/capture.js';
import type { IncidentSlack } from '../../incidents/ports.js';
import type { SlackOutbox } from '../transport/outbox/outbox.js';
import { slackFileUploader } from '../transport/upload-file.js';
import { incidentCard, incidentMessage } from '../views/incident.js';

/** How many `-2`, `-3`… suffixes to try when an incident channel's name is taken. */
const NAME_ATTEMPTS = 20;

/** The outbox key of an incident's card in the ops channel: posted once per incident. */
const cardKey = (incidentId: string) => `incident:${incidentId}:card`;

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
      return outbox.deliver({
        kind: 'post',
        channel,
        key: cardKey(card.incident.id),
        content: incidentCard(card),
      });
    },
    lateCard(channel, incidentId) {
      return outbox.postedTs(channel, cardKey(incidentId));
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
    async lastPostBy(channel, user, since) {
      let cursor: string | undefined;
      for (let page = 0; page < HISTORY_PAGES; page++) {
        const answer = await client.conversations.history({
          channel,
          oldest: slackTs(since),
          limit: HISTORY_PAGE_SIZE,
          ...(cursor ? { cursor } : {}),
        });
        // Newest first: the first of theirs is their last (joining the channel is not posting in it).
        const theirs = answer.messages?.find(
          (m) => m.user === user && m.ts && (!m.subtype || m.subtype === 'thread_broadcast'),
        );
        if (theirs?.ts) return messageTime(theirs.ts);
        cursor = answer.response_metadata?.next_cursor;
        if (!answer.has_more || !cursor) return undefined;
      }
      return undefined;
    },
  };
}

/** How much of a channel's history a catch-up reads, at most, looking for someone's last message. */
const HISTORY_PAGES = 3;
const HISTORY_PAGE_SIZE = 200;

/** A time as a Slack ts (`<seconds>.<micros>`), for history's `oldest`. */
const slackTs = (date: Date) => (date.getTime() / 1000).toFixed(6);

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
