import type { WebClient } from '@slack/web-api';
import { UnavailableError } from '../errors.js';
import type { IncidentSlack } from '../incidents/ports.js';
import { slackFileUploader } from './upload-file.js';

/** How many `-2`, `-3`… suffixes to try when an incident channel's name is taken. */
const NAME_ATTEMPTS = 20;

const errorCode = (error: unknown) => (error as { data?: { error?: string } }).data?.error;

/** Incidents' Slack calls through the Web API. */
export function slackIncidents(client: WebClient): IncidentSlack {
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
    async post(channel, message, threadTs) {
      const posted = await client.chat.postMessage({
        channel,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
      });
      if (!posted.ts) throw new Error('chat.postMessage returned no ts');
      return posted.ts;
    },
    async update(channel, ts, message) {
      await client.chat.update({
        channel,
        ts,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks } : {}),
      });
    },
    async dm(user, message) {
      const opened = await client.conversations.open({ users: user });
      const channel = opened.channel?.id;
      if (!channel) throw new Error('conversations.open returned no channel');
      await client.chat.postMessage({
        channel,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks } : {}),
      });
    },
    upload,
  };
}
