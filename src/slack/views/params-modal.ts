import type { View } from '@slack/types';
import { z } from 'zod';
import type { ParamSpec } from '../../actions/params.js';
import type { ActionConfig } from '../../actions/registry.js';
import { PARAM_INPUT, PARAMS_MODAL } from './ids.js';
import { clip, LIMITS } from './limits.js';
import { viewMetadata } from './view-metadata.js';

/** What the params modal carries from the command that opened it to its submission. */
export const ParamsModalMeta = z.object({ service: z.string(), action: z.string(), channel: z.string() });
export type ParamsModalMeta = z.infer<typeof ParamsModalMeta>;

/** The shape of a params modal submission that opsbot reads (REFERENCE: view.state.values). */
export const ParamsSubmission = z.object({
  callback_id: z.literal(PARAMS_MODAL),
  private_metadata: viewMetadata(ParamsModalMeta),
  state: z.object({
    values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }))),
  }),
});

/** The modal for one action, generated from its params schema, pre-filled, with errors of typed values shown. */
export function paramsModal(
  meta: ParamsModalMeta,
  config: ActionConfig,
  prefill: Record<string, string>,
  errors: Record<string, string>,
): View {
  const problems = Object.entries(errors).map(([name, message]) => `• *${name}*: ${message}`);
  return {
    type: 'modal',
    callback_id: PARAMS_MODAL,
    private_metadata: JSON.stringify(meta),
    title: { type: 'plain_text', text: paramsModalTitle(meta) },
    submit: { type: 'plain_text', text: 'Request' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: clip([config.summary, ...problems].join('\n'), LIMITS.sectionText),
        },
      },
      ...Object.entries(config.params).map(([name, spec]) => paramInput(name, spec, prefill[name])),
    ],
  };
}

/** The params modal's title, also shown while opsbot checks that the person may open it. */
export function paramsModalTitle(meta: Pick<ParamsModalMeta, 'service' | 'action'>): string {
  return clip(`${meta.action} · ${meta.service}`, LIMITS.viewTitle);
}

/** The raw text of each field, by param name. */
export function submittedValues(
  submission: z.infer<typeof ParamsSubmission>,
): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(submission.state.values).map(([block, inputs]) => [
      block,
      inputs[PARAM_INPUT]?.value ?? undefined,
    ]),
  );
}

function paramInput(name: string, spec: ParamSpec, initial: string | undefined) {
  const hint =
    spec.description ?? (spec.type === 'string' && spec.pattern ? `Format: ${spec.pattern}` : undefined);
  return {
    type: 'input' as const,
    block_id: name,
    optional: spec.optional,
    label: { type: 'plain_text' as const, text: clip(spec.label ?? name, 48) },
    ...(hint ? { hint: { type: 'plain_text' as const, text: clip(hint, 150) } } : {}),
    element: {
      type: 'plain_text_input' as const,
      action_id: PARAM_INPUT,
      ...(initial ? { initial_value: clip(initial, spec.type === 'string' ? spec.max_length : 3000) } : {}),
      ...(spec.type === 'string' ? { max_length: spec.max_length } : {}),
    },
  };
}
