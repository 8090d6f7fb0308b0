import type { View } from '@slack/types';
import { z } from 'zod';
import { ANSWER_MAX_LENGTH } from '../../runbooks/answers.js';
import type { Question } from '../../runbooks/ports.js';
import { RUNBOOK_ANSWER_MODAL } from './ids.js';
import { clip, LIMITS } from './limits.js';
import { viewMetadata } from './view-metadata.js';

/** block_id of the modal's one input; its action_id is ANSWER_INPUT. */
export const ANSWER_BLOCK = 'answer';
export const ANSWER_INPUT = 'value';

/** What the answer modal carries to its submission: which question, and the channel it was asked in. */
export const AnswerModalMeta = z.object({
  runId: z.string().min(1).max(64),
  step: z.string().min(1).max(32),
  channel: z.string().min(1).max(40),
});
export type AnswerModalMeta = z.infer<typeof AnswerModalMeta>;

/** A submitted answer modal, as opsbot reads it: a select's choice or the text typed. */
export const AnswerSubmission = z.object({
  callback_id: z.literal(RUNBOOK_ANSWER_MODAL),
  private_metadata: viewMetadata(AnswerModalMeta),
  state: z.object({
    values: z.object({
      [ANSWER_BLOCK]: z.object({
        [ANSWER_INPUT]: z.object({
          value: z.string().max(3000).nullish(),
          selected_option: z.object({ value: z.string().max(150) }).nullish(),
        }),
      }),
    }),
  }),
});
export type AnswerSubmission = z.infer<typeof AnswerSubmission>;

/** The raw answer in a submission: the option chosen, or the text typed ('' when neither). */
export function submittedAnswer(submission: AnswerSubmission): string {
  const input = submission.state.values[ANSWER_BLOCK][ANSWER_INPUT];
  return input.selected_option?.value ?? input.value ?? '';
}

/**
 * The modal the Answer button opens: the question, and one input: a select of its choices (yes/no for a
 * confirmation), or a text field for a value to type, its pattern shown as a hint.
 */
export function answerModal(question: Question, channel: string): View {
  const meta: AnswerModalMeta = { runId: question.runId, step: question.step, channel };
  const until = question.deadline.toISOString().slice(11, 16);
  return {
    type: 'modal',
    callback_id: RUNBOOK_ANSWER_MODAL,
    private_metadata: JSON.stringify(meta),
    title: { type: 'plain_text', text: 'Runbook question' },
    submit: { type: 'plain_text', text: 'Answer' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: clip(question.text, LIMITS.sectionText) } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: clip(
              `Step ${question.step} of ${question.runId} · open until ${until} UTC`,
              LIMITS.fieldText,
            ),
          },
        ],
      },
      answerInput(question),
    ],
  };
}

function answerInput(question: Question) {
  if (question.input) {
    const { label, pattern } = question.input;
    return {
      type: 'input' as const,
      block_id: ANSWER_BLOCK,
      label: { type: 'plain_text' as const, text: clip(label, 48) },
      ...(pattern ? { hint: { type: 'plain_text' as const, text: clip(`Format: ${pattern}`, 150) } } : {}),
      element: {
        type: 'plain_text_input' as const,
        action_id: ANSWER_INPUT,
        max_length: ANSWER_MAX_LENGTH,
      },
    };
  }
  return {
    type: 'input' as const,
    block_id: ANSWER_BLOCK,
    label: { type: 'plain_text' as const, text: question.confirm ? 'Yes or no' : 'Your answer' },
    element: {
      type: 'static_select' as const,
      action_id: ANSWER_INPUT,
      placeholder: { type: 'plain_text' as const, text: 'Choose' },
      options: (question.choices ?? []).map((choice) => ({
        text: { type: 'plain_text' as const, text: clip(choice, 75) },
        value: choice,
      })),
    },
  };
}
