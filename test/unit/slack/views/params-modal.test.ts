import type { ModalView, SectionBlock, View } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { parseOpsConfig } from '../../../../src/config/load.js';
import { PARAM_INPUT, PARAMS_MODAL } from '../../../../src/slack/views/ids.js';
import { LIMITS } from '../../../../src/slack/views/limits.js';
import {
  type ParamsModalMeta,
  ParamsSubmission,
  paramsModal,
  submittedValues,
} from '../../../../src/slack/views/params-modal.js';

const config = parseOpsConfig(
  `
workspace: { ops_channel: C0OPS }
services:
  bentham-production-gateway:
    environment: production
    databases: { main: { url: "postgres://localhost/bentham" } }
    actions:
      reset_failed_jobs_for_study:
        kind: sql
        summary: Reset the failed jobs of a study
        database: main
        params:
          study: { type: string, pattern: "^study_[a-z0-9]+$" }
          message: { type: string, max_length: 500, description: "Shown to the study owner", label: "Message" }
          limit: { type: integer, min: 1, optional: true }
          zone: { type: string, enum: [eu, us] }
        run: UPDATE jobs SET error_message = :message WHERE study_id = :study AND zone = :zone LIMIT :limit
`,
  {},
);
const action = config.services['bentham-production-gateway']?.actions.reset_failed_jobs_for_study;
if (!action) throw new Error('fixture action missing');

const meta: ParamsModalMeta = {
  service: 'bentham-production-gateway',
  action: 'reset_failed_jobs_for_study',
  channel: 'C0OPS',
};

type Input = {
  type: 'input';
  block_id: string;
  optional?: boolean;
  label: { text: string };
  hint?: { text: string };
  element: { action_id: string; initial_value?: string; max_length?: number };
};

/** The view as a modal; fails the test if it is another kind of view. */
function modal(view: View): ModalView {
  expect(view.type).toBe('modal');
  return view as ModalView;
}

const inputsOf = (view: View) => view.blocks.filter((block) => block.type === 'input') as unknown as Input[];

describe('paramsModal', () => {
  it('keeps the title within 24 characters even for long names', () => {
    const { title } = modal(paramsModal(meta, action, {}, {}));
    expect(title.text.length).toBeLessThanOrEqual(LIMITS.viewTitle);
    expect(title.text.startsWith('reset_failed_jobs')).toBe(true);
    expect(title.text.endsWith('…')).toBe(true);
  });

  it('keeps a short title whole', () => {
    const view = modal(paramsModal({ ...meta, action: 'retry', service: 'api' }, action, {}, {}));
    expect(view.title.text).toBe('retry · api');
  });

  it('has one input per param, in declared order, keyed by param name', () => {
    const inputs = inputsOf(paramsModal(meta, action, {}, {}));
    expect(inputs.map((input) => input.block_id)).toEqual(['study', 'message', 'limit', 'zone']);
    for (const input of inputs) expect(input.element.action_id).toBe(PARAM_INPUT);
    expect(inputs.map((input) => input.optional)).toEqual([false, false, true, false]);
  });

  it('labels, hints and limits each input from its spec', () => {
    const [study, message, limit] = inputsOf(paramsModal(meta, action, {}, {}));
    expect(study?.label.text).toBe('study');
    expect(study?.hint?.text).toBe('Format: ^study_[a-z0-9]+$');
    expect(study?.element.max_length).toBe(200);
    expect(message?.label.text).toBe('Message');
    expect(message?.hint?.text).toBe('Shown to the study owner');
    expect(message?.element.max_length).toBe(500);
    expect(limit?.element.max_length).toBeUndefined();
  });

  it('cuts a pre-filled value to the field max_length, so Slack accepts the view', () => {
    const [study] = inputsOf(paramsModal(meta, action, { study: 'x'.repeat(900) }, {}));
    expect(study?.element.initial_value?.length).toBe(200);
  });

  it('pre-fills typed values as initial_value and leaves the others empty', () => {
    const inputs = inputsOf(paramsModal(meta, action, { study: 'study_abc', limit: '500' }, {}));
    expect(inputs.map((input) => input.element.initial_value)).toEqual([
      'study_abc',
      undefined,
      '500',
      undefined,
    ]);
  });

  it('lists the errors of typed values under the summary', () => {
    const view = paramsModal(meta, action, { limit: '0' }, { limit: 'Must be at least 1.' });
    const first = view.blocks[0];
    expect(first?.type).toBe('section');
    expect((first as SectionBlock | undefined)?.text?.text).toBe(
      'Reset the failed jobs of a study\n• *limit*: Must be at least 1.',
    );
  });

  it('carries what the submission needs in private_metadata', () => {
    const view = modal(paramsModal(meta, action, {}, {}));
    expect(view.callback_id).toBe(PARAMS_MODAL);
    expect(view.submit?.text).toBe('Request');
    expect(JSON.parse(view.private_metadata ?? '')).toEqual(meta);
  });
});

describe('ParamsSubmission and submittedValues', () => {
  const submissionOf = (privateMetadata: string, callbackId: string = PARAMS_MODAL) => ({
    callback_id: callbackId,
    private_metadata: privateMetadata,
    state: {
      values: {
        study: { [PARAM_INPUT]: { type: 'plain_text_input', value: 'study_abc' } },
        message: { [PARAM_INPUT]: { type: 'plain_text_input', value: null } },
        limit: { [PARAM_INPUT]: { type: 'plain_text_input' } },
        zone: { [PARAM_INPUT]: { type: 'plain_text_input', value: 'eu' } },
      },
    },
  });

  it('reads the metadata the modal wrote and each field by param name', () => {
    const view = paramsModal(meta, action, {}, {});
    const parsed = ParamsSubmission.safeParse(submissionOf(view.private_metadata ?? ''));
    expect(parsed.success).toBe(true);
    if (!parsed.success) return;
    expect(parsed.data.private_metadata).toEqual(meta);
    expect(submittedValues(parsed.data)).toEqual({
      study: 'study_abc',
      message: undefined,
      limit: undefined,
      zone: 'eu',
    });
  });

  it.each([
    ['not JSON', '{"service":'],
    ['a missing field', JSON.stringify({ service: 'bentham', action: 'retry' })],
    ['a field of the wrong type', JSON.stringify({ ...meta, channel: 42 })],
    ['a JSON string', JSON.stringify('bentham')],
    ['JSON null', 'null'],
    ['too long', JSON.stringify({ ...meta, action: 'a'.repeat(LIMITS.privateMetadata) })],
  ])('refuses tampered private_metadata: %s', (_, privateMetadata) => {
    expect(ParamsSubmission.safeParse(submissionOf(privateMetadata)).success).toBe(false);
  });

  it('refuses a submission of another view', () => {
    expect(ParamsSubmission.safeParse(submissionOf(JSON.stringify(meta), 'other_modal')).success).toBe(false);
  });
});
