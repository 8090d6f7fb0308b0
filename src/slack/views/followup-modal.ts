import type { View } from '@slack/types';
import { z } from 'zod';
import { MAX_FOLLOWUP_TEXT } from '../../followups/followup.js';
import { FOLLOWUP_SHORTCUT } from './ids.js';
import { clip } from './limits.js';
import { viewMetadata } from './view-metadata.js';

/** What the modal carries to its submission: the channel it came from, and the message (`<channel>:<ts>`). */
const Meta = z.object({ channel: z.string().max(40), source: z.string().max(80) });

/** A submitted "Add as follow-up" modal, as opsbot reads it. */
export const FollowupSubmission = z.object({
  callback_id: z.literal(FOLLOWUP_SHORTCUT),
  private_metadata: viewMetadata(Meta),
  state: z.object({
    values: z.object({
      text: z.object({ value: z.object({ value: z.string().max(3000).nullish() }) }),
      owner: z.object({ value: z.object({ selected_user: z.string().max(40).nullish() }) }).optional(),
      due: z.object({ value: z.object({ selected_date: z.string().max(10).nullish() }) }).optional(),
    }),
  }),
});
export type FollowupSubmission = z.infer<typeof FollowupSubmission>;

/** The "Add as follow-up" shortcut's modal: the message's text to edit, and an owner and due day to pick. */
export function followupModal(channel: string, ts: string, messageText: string): View {
  const initial = clip(messageText.trim(), MAX_FOLLOWUP_TEXT);
  return {
    type: 'modal',
    callback_id: FOLLOWUP_SHORTCUT,
    private_metadata: JSON.stringify({ channel, source: `${channel}:${ts}` }),
    title: { type: 'plain_text', text: 'Add a follow-up' },
    submit: { type: 'plain_text', text: 'Add' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: 'text',
        label: { type: 'plain_text', text: 'What is to be done' },
        element: {
          type: 'plain_text_input',
          action_id: 'value',
          multiline: true,
          max_length: MAX_FOLLOWUP_TEXT,
          ...(initial ? { initial_value: initial } : {}),
        },
      },
      {
        type: 'input',
        block_id: 'owner',
        optional: true,
        label: { type: 'plain_text', text: 'Owner' },
        element: { type: 'users_select', action_id: 'value' },
      },
      {
        type: 'input',
        block_id: 'due',
        optional: true,
        label: { type: 'plain_text', text: 'Due' },
        element: { type: 'datepicker', action_id: 'value' },
      },
    ],
  };
}
