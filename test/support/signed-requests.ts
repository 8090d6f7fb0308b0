import { createHmac } from 'node:crypto';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';

/**
 * POSTs a body to Slack's endpoint signed as Slack signs it (`v0:{ts}:{body}`, HMAC-SHA256): form-encoded,
 * or JSON for an Events API body (one starting with `{`). `headers` adds e.g. `x-slack-retry-num`; `signal`
 * aborts it (a bench's timeout).
 */
export async function postSigned(
  baseUrl: string,
  body: string,
  options: {
    secret?: string;
    timestamp?: number;
    signature?: string;
    headers?: Record<string, string>;
    signal?: AbortSignal;
  } = {},
): Promise<Response> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature =
    options.signature ??
    `v0=${createHmac('sha256', options.secret ?? SIGNING_SECRET)
      .update(`v0:${timestamp}:${body}`)
      .digest('hex')}`;
  return fetch(`${baseUrl}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': body.startsWith('{') ? 'application/json' : 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature,
      ...options.headers,
    },
    body,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** The JSON body of an Events API delivery (`event_callback`) carrying `event`; a retry reuses its eventId. */
export function eventBody(event: Record<string, unknown>, fields: { eventId: string }): string {
  return JSON.stringify({
    token: 'unused',
    team_id: 'T0TEAM',
    api_app_id: 'A0OPSBOT',
    event: { event_ts: `${Math.floor(Date.now() / 1000)}.000100`, ...event },
    type: 'event_callback',
    event_id: fields.eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: 'T0TEAM', user_id: 'U0OPSBOT', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  });
}

/** The form body of a `/ops` slash command. */
export function slashBody(
  text: string,
  user: string,
  fields: { channel?: string; responseUrl: string },
): string {
  return new URLSearchParams({
    token: 'unused',
    team_id: 'T0TEAM',
    api_app_id: 'A0OPSBOT',
    channel_id: fields.channel ?? 'C0OPS',
    user_id: user,
    command: '/ops',
    text,
    response_url: fields.responseUrl,
    trigger_id: `trigger.${Date.now()}`,
  }).toString();
}

/** The form body of a button click on a run card. */
export function buttonBody(
  actionId: string,
  runId: string,
  user: string,
  fields: { channel?: string; messageTs: string; responseUrl: string },
): string {
  const payload = {
    type: 'block_actions',
    team: { id: 'T0TEAM' },
    api_app_id: 'A0OPSBOT',
    user: { id: user },
    channel: { id: fields.channel ?? 'C0OPS' },
    container: { type: 'message', message_ts: fields.messageTs, channel_id: fields.channel ?? 'C0OPS' },
    trigger_id: `trigger.${Date.now()}`,
    response_url: fields.responseUrl,
    actions: [
      { type: 'button', action_id: actionId, block_id: `run:${runId}`, value: runId, action_ts: '1' },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** The form body of a view_submission, with the given field values (`{ selected }` for a select). */
export function modalSubmitBody(
  view: Record<string, unknown>,
  user: string,
  values: Record<string, string | { selected: string }>,
): string {
  const state = {
    values: Object.fromEntries(
      Object.entries(values).map(([name, value]) => [
        name,
        {
          value:
            typeof value === 'string'
              ? { type: 'plain_text_input', value }
              : { type: 'static_select', selected_option: { value: value.selected } },
        },
      ]),
    ),
  };
  const payload = {
    type: 'view_submission',
    team: { id: 'T0TEAM' },
    api_app_id: 'A0OPSBOT',
    user: { id: user },
    view: { ...view, id: 'V0VIEW', state },
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
