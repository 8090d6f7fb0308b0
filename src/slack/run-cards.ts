import type { WebClient } from '@slack/web-api';
import { UnavailableError } from '../errors.js';
import type { RunCards } from '../runs/cards.js';
import type { Run } from '../runs/run.js';
import { runCard, runOutcome } from './blocks/run-card.js';

/** Run cards as Slack messages: posted in the run's channel, edited in place, outcome in the thread. */
export function slackRunCards(client: WebClient): RunCards {
  return {
    async post(run) {
      try {
        const posted = await client.chat.postMessage({ channel: run.channel_id, ...runCard(run) });
        if (!posted.ts) throw new Error('chat.postMessage returned no ts');
        return posted.ts;
      } catch (error) {
        const code = (error as { data?: { error?: string } }).data?.error;
        if (code === 'not_in_channel' || code === 'channel_not_found') {
          throw new UnavailableError(
            'opsbot is not in this channel; invite it with `/invite @opsbot` and try again.',
          );
        }
        throw error;
      }
    },
    async update(run: Run, progress?: string) {
      if (!run.message_ts) return;
      await client.chat.update({ channel: run.channel_id, ts: run.message_ts, ...runCard(run, progress) });
    },
    async note(run: Run, text: string) {
      if (!run.message_ts) return;
      await client.chat.postMessage({ channel: run.channel_id, thread_ts: run.message_ts, text });
    },
    async reply(run: Run) {
      if (!run.message_ts) return;
      await client.chat.postMessage({
        channel: run.channel_id,
        thread_ts: run.message_ts,
        ...runOutcome(run),
      });
    },
  };
}
