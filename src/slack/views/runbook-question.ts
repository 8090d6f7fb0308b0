import type { KnownBlock } from '@slack/types';
import type { Question } from '../../runbooks/ports.js';
import { RUNBOOK_ANSWER } from './ids.js';
import { clip, LIMITS } from './limits.js';

/** A runbook's question in its thread: the question, and an Answer button that opens its modal. */
export function questionMessage(question: Question): { text: string; blocks: KnownBlock[] } {
  const text = `:question: ${question.text}`;
  return {
    text: clip(text, LIMITS.sectionText),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: clip(text, LIMITS.sectionText) } },
      {
        type: 'actions',
        block_id: `runbook_question:${question.step}`,
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Answer' },
            action_id: RUNBOOK_ANSWER,
            value: `${question.runId}:${question.step}`,
            style: 'primary',
          },
        ],
      },
    ],
  };
}

/** The question once it has ended: its text and how it ended, without the button. */
export function closedQuestion(question: Question, outcome: string): { text: string; blocks: KnownBlock[] } {
  const text = `:question: ${question.text}\n${outcome}`;
  return {
    text: clip(text, LIMITS.sectionText),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: clip(text, LIMITS.sectionText) } }],
  };
}
