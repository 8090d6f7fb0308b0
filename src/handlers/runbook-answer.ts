import type { App, BlockAction } from '@slack/bolt';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { RUNBOOK_ANSWER, RUNBOOK_ANSWER_MODAL } from '../slack/views/ids.js';
import {
  ANSWER_BLOCK,
  AnswerSubmission,
  answerModal,
  submittedAnswer,
} from '../slack/views/runbook-answer-modal.js';
import type { HandlerDeps } from './deps.js';
import { handle } from './handle.js';
import { clickReply, slackCalls } from './slack-calls.js';
import { onSubmission } from './view-submission.js';

const Click = z.object({
  user: z.object({ id: z.string().min(1) }),
  channel: z.object({ id: z.string().min(1) }),
  trigger_id: z.string().min(1),
  actions: z.tuple([z.object({ value: z.string().max(128) })], z.unknown()),
});

/** The question a button's value names: `<run id>:<step name>` (a step name has no ':'). */
function questionOf(value: string): { runId: string; step: string } {
  const at = value.lastIndexOf(':');
  const runId = value.slice(0, at);
  const step = value.slice(at + 1);
  if (at <= 0 || !step) throw new UserError('That Answer button names no question.');
  return { runId, step };
}

/**
 * A runbook's question: its Answer button opens the modal while the question is open (why not, to the
 * presser only, once it is closed), and the modal's submission records the answer, with a field error for a
 * value the question does not take.
 */
export function registerRunbookAnswer(app: App, deps: HandlerDeps): void {
  app.action<BlockAction>(RUNBOOK_ANSWER, async ({ ack, body, respond, client }) => {
    await ack();
    const user = body.user.id;
    const calls = slackCalls(client);
    const reply = respond ? clickReply(respond) : (text: string) => calls.dm(user, text);
    await handle(deps, RUNBOOK_ANSWER, { user }, reply, async () => {
      const click = Click.parse(body);
      const { runId, step } = questionOf(click.actions[0].value);
      // Two reads from PostgreSQL before views.open: well inside the trigger_id's 3 s.
      const question = await deps.runbookAnswers.question(user, runId, step);
      await calls.openView(click.trigger_id, answerModal(question, click.channel.id));
    });
  });

  onSubmission(app, deps, RUNBOOK_ANSWER_MODAL, {
    schema: AnswerSubmission,
    unreadable: 'That answer could not be read; press Answer again.',
    channel: (submission) => submission.private_metadata.channel,
    async submit({ data, actor, answer, refuse, tell }) {
      const { runId, step } = data.private_metadata;
      const raw = submittedAnswer(data);
      // Field errors need PostgreSQL only; authorization (user groups from Slack) comes after the ack.
      const problem = await deps.runbookAnswers.check(actor, runId, step, raw);
      if (problem) {
        await refuse({ [ANSWER_BLOCK]: problem });
        return;
      }
      await answer();
      const outcome = await deps.runbookAnswers.answer(actor, runId, step, raw);
      if (!outcome.recorded) await tell(outcome.problem);
    },
  });
}
