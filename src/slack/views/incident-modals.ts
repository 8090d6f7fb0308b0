import type { View } from '@slack/types';
import { z } from 'zod';
import { INCIDENT_STATUSES, type Incident } from '../../incidents/incident.js';
import { viewMetadata } from './view-metadata.js';

export const DECLARE_MODAL = 'incident_declare';
export const UPDATE_MODAL = 'incident_update';

/** What each incident modal carries to its submission: where to answer, and which incident. */
const Meta = z.object({
  channel: z.string().max(40),
  incident: z.string().max(40).optional(),
  /** Declaring from an alert card: the PagerDuty incident to link. */
  pagerduty: z.string().max(128).optional(),
});

const metadata = viewMetadata(Meta);

const TextValue = z.object({ value: z.string().max(3000).nullish() });
const SelectValue = z.object({ selected_option: z.object({ value: z.string().max(40) }).nullish() });

/** A submitted declare modal, as opsbot reads it. */
export const DeclareSubmission = z.object({
  callback_id: z.literal(DECLARE_MODAL),
  private_metadata: metadata,
  state: z.object({
    values: z.object({
      severity: z.object({ value: SelectValue }),
      title: z.object({ value: TextValue }),
    }),
  }),
});

/** A submitted status-update modal, as opsbot reads it. */
export const UpdateSubmission = z.object({
  callback_id: z.literal(UPDATE_MODAL),
  private_metadata: metadata,
  state: z.object({
    values: z.object({
      status: z.object({ value: SelectValue }),
      changed: z.object({ value: TextValue }),
      next: z.object({ value: TextValue }),
    }),
  }),
});

const option = (value: string, text = value) => ({ text: { type: 'plain_text' as const, text }, value });

/** A required select; its choice is read from the action `value`, as the text inputs are. */
function selectInput(
  id: string,
  label: string,
  options: ReturnType<typeof option>[],
  initial?: ReturnType<typeof option>,
) {
  return {
    type: 'input' as const,
    block_id: id,
    label: { type: 'plain_text' as const, text: label },
    element: {
      type: 'static_select' as const,
      action_id: 'value',
      options,
      ...(initial ? { initial_option: initial } : {}),
    },
  };
}

function textInput(id: string, label: string, placeholder: string, multiline: boolean, initial?: string) {
  return {
    type: 'input' as const,
    block_id: id,
    label: { type: 'plain_text' as const, text: label },
    element: {
      type: 'plain_text_input' as const,
      action_id: 'value',
      multiline,
      max_length: multiline ? 2000 : 150,
      placeholder: { type: 'plain_text' as const, text: placeholder },
      ...(initial ? { initial_value: initial } : {}),
    },
  };
}

/**
 * `/ops incident declare` without arguments, or Declare incident on an alert card (the PagerDuty incident to
 * link and its title pre-filled): severity (with its meaning) and title.
 */
export function declareModal(
  channel: string,
  severities: Record<string, { description: string }>,
  from?: { pagerduty: string; title: string },
): View {
  return {
    type: 'modal',
    callback_id: DECLARE_MODAL,
    private_metadata: JSON.stringify({ channel, ...(from ? { pagerduty: from.pagerduty } : {}) }),
    title: { type: 'plain_text', text: 'Declare an incident' },
    submit: { type: 'plain_text', text: 'Declare' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      selectInput(
        'severity',
        'Severity',
        Object.entries(severities).map(([name, { description }]) =>
          option(name, `${name}: ${description}`.slice(0, 75)),
        ),
      ),
      textInput('title', 'Title', 'Study failures above 50%', false, from?.title.slice(0, 150)),
    ],
  };
}

/** `/ops incident update` and the nudge's button: status, what changed, what is next. */
export function updateModal(channel: string, incident: Incident): View {
  return {
    type: 'modal',
    callback_id: UPDATE_MODAL,
    private_metadata: JSON.stringify({ channel, incident: incident.id }),
    title: { type: 'plain_text', text: 'Incident update' },
    submit: { type: 'plain_text', text: 'Post update' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      selectInput(
        'status',
        'Status',
        INCIDENT_STATUSES.filter((status) => status !== 'resolved').map((status) => option(status)),
        option(incident.status === 'resolved' ? 'monitoring' : incident.status),
      ),
      textInput('changed', 'What changed', 'Rolled back the executor; failure rate is falling.', true),
      textInput('next', 'What is next', 'Watch the failure rate for 15 minutes.', true),
    ],
  };
}
