import type { RunbookPosts } from '../../runbooks/ports.js';
import type { SlackOutbox } from '../transport/outbox/outbox.js';
import { closedQuestion, questionMessage } from '../views/runbook-question.js';
import { cardRef } from './run-card-ref.js';

/** A runbook's thread as Slack messages through the outbox, each posted once by its key. */
export function slackRunbookPosts(outbox: SlackOutbox): RunbookPosts {
  const questionKey = (runId: string, step: string) => `runbook:${runId}:ask:${step}`;
  return {
    async note(run, key, text) {
      await outbox.enqueue({
        kind: 'post',
        channel: run.channel_id,
        thread: cardRef(run),
        key,
        content: { text },
      });
    },
    async announce(channel, key, text) {
      await outbox.enqueue({ kind: 'post', channel, key, content: { text } });
    },
    async ask(run, question) {
      await outbox.enqueue({
        kind: 'post',
        channel: run.channel_id,
        thread: cardRef(run),
        key: questionKey(run.id, question.step),
        content: questionMessage(question),
      });
    },
    async closeQuestion(run, question, outcome) {
      await outbox.enqueue({
        kind: 'update',
        channel: run.channel_id,
        target: { key: questionKey(run.id, question.step) },
        content: closedQuestion(question, outcome),
      });
    },
  };
}
