import type { View } from '@slack/types';
import { z } from 'zod';
import { LIMITS } from './limits.js';
import { viewMetadata } from './view-metadata.js';

export const ALERT_NOTE_MODAL = 'pd_note_modal';

const Meta = z.object({ channel: z.string().max(40), alert: z.string().max(128) });

/** A submitted Add note modal, as opsbot reads it. */
export const AlertNoteSubmission = z.object({
  callback_id: z.literal(ALERT_NOTE_MODAL),
  private_metadata: viewMetadata(Meta),
  state: z.object({
    values: z.object({ note: z.object({ value: z.object({ value: z.string().max(3000).nullish() }) }) }),
  }),
});

/** Add note on an alert card: one text field, posted to PagerDuty as the person. */
export function alertNoteModal(channel: string, alertId: string, title: string): View {
  return {
    type: 'modal',
    callback_id: ALERT_NOTE_MODAL,
    private_metadata: JSON.stringify({ channel, alert: alertId }),
    title: { type: 'plain_text', text: 'Add a PagerDuty note' },
    submit: { type: 'plain_text', text: 'Add note' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: title.slice(0, LIMITS.sectionText) } },
      {
        type: 'input',
        block_id: 'note',
        label: { type: 'plain_text', text: 'Note' },
        element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: 3000 },
      },
    ],
  };
}
