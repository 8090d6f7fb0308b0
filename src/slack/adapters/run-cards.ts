import type { RunCards } from '../../runs/cards.js';
import type { Run } from '../../runs/run.js';
import type { MessageContent } from '../transport/outbox/message.js';
import type { SlackOutbox } from '../transport/outbox/outbox.js';
import type { StreamFile } from '../transport/upload-file.js';
import { runCard, runOutcome } from '../views/run-card.js';
import { inChannel } from './deliver-in-channel.js';
import { cardRef, runCardKey } from './run-card-ref.js';

/**
 * Run cards as Slack messages through the outbox: posted in the run's channel under the run's key (its ts
 * reaches the run's row once Slack took it), edited in place, outcome and notes in the card's thread. Edits
 * and replies refer to the card by key until its ts is known, so they follow it however late Slack takes it.
 */
export function slackRunCards(outbox: SlackOutbox, streamFile: StreamFile): RunCards {
  const inThread = (run: Run, content: MessageContent) =>
    outbox.enqueue({ kind: 'post', channel: run.channel_id, thread: cardRef(run), content });
  return {
    async post(run) {
      const id = await outbox.queueAhead({
        kind: 'post',
        channel: run.channel_id,
        key: runCardKey(run.id),
        content: runCard(run),
      });
      return { shown: () => inChannel(() => outbox.posted(id)) };
    },
    async update(run, progress, steps) {
      await outbox.enqueue({
        kind: 'update',
        channel: run.channel_id,
        target: cardRef(run),
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
      const content = { text };
      await (edit
        ? outbox.enqueue({ kind: 'update', channel: run.channel_id, target: { key }, content })
        : outbox.enqueue({
            kind: 'post',
            channel: run.channel_id,
            thread: cardRef(run),
            key,
            content,
          }));
    },
    async attach(run, file) {
      // Files go to Slack directly, not through the outbox: only once the card is there to hold them.
      const threadTs = run.message_ts ?? (await outbox.postedTs(run.channel_id, runCardKey(run.id)));
      if (!threadTs) return;
      await streamFile({ channel: run.channel_id, threadTs, ...file });
    },
  };
}
