import type { RunCards } from '../../runs/cards.js';
import type { Run } from '../../runs/run.js';
import type { MessageContent } from '../transport/outbox/message.js';
import type { SlackOutbox } from '../transport/outbox/outbox.js';
import type { StreamFile } from '../transport/upload-file.js';
import { runCard, runOutcome } from '../views/run-card.js';
import { deliverInChannel } from './deliver-in-channel.js';

/**
 * Run cards as Slack messages through the outbox: posted in the run's channel (waiting for Slack, since
 * the run stores the card's ts), edited in place, outcome and notes in the card's thread.
 */
export function slackRunCards(outbox: SlackOutbox, streamFile: StreamFile): RunCards {
  const inThread = (run: Run, content: MessageContent) =>
    run.message_ts
      ? outbox.enqueue({ kind: 'post', channel: run.channel_id, thread: { ts: run.message_ts }, content })
      : undefined;
  return {
    post: (run) =>
      deliverInChannel(outbox, {
        kind: 'post',
        channel: run.channel_id,
        key: `run:${run.id}`,
        content: runCard(run),
      }),
    async update(run, progress, steps) {
      if (!run.message_ts) return;
      await outbox.enqueue({
        kind: 'update',
        channel: run.channel_id,
        target: { ts: run.message_ts },
        content: runCard(run, progress, steps),
      });
    },
    async note(run, text) {
      await inThread(run, { text });
    },
    async reply(run) {
      await inThread(run, runOutcome(run));
    },
    async output(run, { key, text, edit }) {
      if (!run.message_ts) return;
      const content = { text };
      await (edit
        ? outbox.enqueue({ kind: 'update', channel: run.channel_id, target: { key }, content })
        : outbox.enqueue({
            kind: 'post',
            channel: run.channel_id,
            thread: { ts: run.message_ts },
            key,
            content,
          }));
    },
    async attach(run, file) {
      if (!run.message_ts) return;
      await streamFile({ channel: run.channel_id, threadTs: run.message_ts, ...file });
    },
  };
}
