import { describe, expect, it } from 'vitest';
import type { Question } from '../../../../src/runbooks/ports.js';
import { LIMITS } from '../../../../src/slack/views/limits.js';
import {
  AnswerSubmission,
  answerModal,
  submittedAnswer,
} from '../../../../src/slack/views/runbook-answer-modal.js';

const deadline = new Date('2026-03-04T05:36:00Z');
const base = {
  runId: 'run_0123456789ab',
  step: 'how',
  text: 'How should *study_abc123* be handled?',
  deadline,
};

interface Input {
  type: string;
  block_id?: string;
  label?: { text: string };
  hint?: { text: string };
  element?: {
    type: string;
    action_id: string;
    max_length?: number;
    options?: { text: { text: string }; value: string }[];
  };
}

/** The modal's input blocks (the contract test/support/runbook-runs.ts submits to). */
function inputs(question: Question): Input[] {
  const view = answerModal(question, 'C0OPS');
  return (view.blocks as Input[]).filter((block) => block.type === 'input');
}

function submission(
  value: Record<string, unknown>,
  meta = { runId: 'run_1', step: 'how', channel: 'C0OPS' },
) {
  return {
    callback_id: 'runbook_answer',
    private_metadata: JSON.stringify(meta),
    state: { values: { answer: { value } } },
  };
}

describe('answerModal', () => {
  it('carries the question in its callback id and metadata, and shows its text and deadline', () => {
    const view = answerModal({ ...base, choices: ['retry', 'leave'] }, 'C0OPS');
    expect(view.type).toBe('modal');
    if (view.type !== 'modal') return;
    expect(view.callback_id).toBe('runbook_answer');
    expect(JSON.parse(view.private_metadata ?? '')).toEqual({
      runId: 'run_0123456789ab',
      step: 'how',
      channel: 'C0OPS',
    });
    expect(view.title.text.length).toBeLessThanOrEqual(LIMITS.viewTitle);
    const shown = JSON.stringify(view.blocks);
    expect(shown).toContain('How should *study_abc123* be handled?');
    expect(shown).toContain('Step how of run_0123456789ab · open until 05:36 UTC');
  });

  it('offers the choices as a select in one input block, answer/value', () => {
    const [input, ...more] = inputs({ ...base, choices: ['retry', 'annotate', 'leave'] });
    expect(more).toEqual([]);
    expect(input?.block_id).toBe('answer');
    expect(input?.label?.text).toBe('Your answer');
    expect(input?.element?.type).toBe('static_select');
    expect(input?.element?.action_id).toBe('value');
    expect(input?.element?.options?.map((o) => [o.text.text, o.value])).toEqual([
      ['retry', 'retry'],
      ['annotate', 'annotate'],
      ['leave', 'leave'],
    ]);
  });

  it('asks a confirmation as yes or no', () => {
    const [input] = inputs({ ...base, choices: ['yes', 'no'], confirm: true });
    expect(input?.label?.text).toBe('Yes or no');
    expect(input?.element?.options?.map((o) => o.value)).toEqual(['yes', 'no']);
  });

  it('asks for a typed value under its label, with its pattern as a hint', () => {
    const [input] = inputs({ ...base, input: { label: 'Job id', pattern: '^[0-9]+$' } });
    expect(input?.block_id).toBe('answer');
    expect(input?.label?.text).toBe('Job id');
    expect(input?.hint?.text).toBe('Format: ^[0-9]+$');
    expect(input?.element).toMatchObject({ type: 'plain_text_input', action_id: 'value', max_length: 200 });
    expect(input?.element?.options).toBeUndefined();
    expect(inputs({ ...base, input: { label: 'Reason' } })[0]?.hint).toBeUndefined();
  });

  it('keeps a long question within Block Kit limits', () => {
    const view = answerModal({ ...base, text: 'q'.repeat(5000), choices: ['a', 'b'] }, 'C0OPS');
    const section = view.blocks[0] as { text: { text: string } };
    expect(section.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
  });
});

describe('AnswerSubmission', () => {
  it('reads the chosen option or the typed text', () => {
    const chosen = AnswerSubmission.parse(
      submission({ type: 'static_select', selected_option: { value: 'retry' } }),
    );
    expect(chosen.private_metadata).toEqual({ runId: 'run_1', step: 'how', channel: 'C0OPS' });
    expect(submittedAnswer(chosen)).toBe('retry');
    const typed = AnswerSubmission.parse(submission({ type: 'plain_text_input', value: 'flaky runner' }));
    expect(submittedAnswer(typed)).toBe('flaky runner');
    expect(
      submittedAnswer(AnswerSubmission.parse(submission({ type: 'plain_text_input', value: null }))),
    ).toBe('');
  });

  it('refuses another modal, metadata it did not write, and a view without the answer', () => {
    const good = submission({ type: 'static_select', selected_option: { value: 'retry' } });
    expect(AnswerSubmission.safeParse({ ...good, callback_id: 'action_params' }).success).toBe(false);
    expect(AnswerSubmission.safeParse({ ...good, private_metadata: '{"runId":"run_1"}' }).success).toBe(
      false,
    );
    expect(AnswerSubmission.safeParse({ ...good, private_metadata: 'not json' }).success).toBe(false);
    expect(AnswerSubmission.safeParse({ ...good, state: { values: {} } }).success).toBe(false);
  });
});
