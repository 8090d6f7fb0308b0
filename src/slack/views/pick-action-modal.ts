import type { View } from '@slack/types';
import { z } from 'zod';
import type { PermittedAction } from '../../auth/access.js';
import { PICK_INPUT, PICK_MODAL } from './ids.js';
import { clip, LIMITS } from './limits.js';

/** Slack allows 100 options in a static select. */
const MAX_OPTIONS = 100;

/** The `/ops run` modal's title, also shown while opsbot checks which actions the person may run. */
export const PICK_MODAL_TITLE = 'Run an action';

/** The `/ops run` modal: a select of the actions the user may run in the channel it was opened from. */
export function pickActionModal(channel: string, actions: PermittedAction[]): View {
  return {
    type: 'modal',
    callback_id: PICK_MODAL,
    private_metadata: JSON.stringify({ channel }),
    title: { type: 'plain_text', text: PICK_MODAL_TITLE },
    submit: { type: 'plain_text', text: 'Next' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: PICK_INPUT,
        label: { type: 'plain_text', text: 'Action' },
        element: {
          type: 'static_select',
          action_id: PICK_INPUT,
          placeholder: { type: 'plain_text', text: 'Choose an action' },
          options: actions.slice(0, MAX_OPTIONS).map(({ service, action, config }) => ({
            text: {
              type: 'plain_text' as const,
              text: clip(`${action} · ${service} — ${config.summary}`, LIMITS.buttonText),
            },
            value: `${service}/${action}`,
          })),
        },
      },
    ],
  };
}

/** The submitted pick: the channel it is for, and the chosen service and action. */
export const PickSubmission = z
  .object({
    callback_id: z.literal(PICK_MODAL),
    private_metadata: z.string().max(LIMITS.privateMetadata),
    state: z.object({
      values: z.object({
        [PICK_INPUT]: z.object({
          [PICK_INPUT]: z.object({
            selected_option: z.object({ value: z.string().regex(/^[a-z0-9-]+\/[a-z0-9_-]+$/) }),
          }),
        }),
      }),
    }),
  })
  .transform((view, ctx) => {
    const [service, action] = view.state.values[PICK_INPUT][PICK_INPUT].selected_option.value.split('/') as [
      string,
      string,
    ];
    const meta = z.object({ channel: z.string().min(1) }).safeParse(safeJson(view.private_metadata));
    if (!meta.success) {
      ctx.addIssue({ code: 'custom', message: 'bad private_metadata' });
      return z.NEVER;
    }
    return { channel: meta.data.channel, service, action };
  });

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
