import type { ConsoleButton } from './render.js';

/** The workspace and app every console request claims to come from, as Slack names them in its payloads. */
const TEAM = 'T0CONSOLE';
const APP = 'A0OPSBOT';

/** Who did something, where, and the trigger_id Slack would give it (valid for one views.open). */
export interface Origin {
  user: string;
  channel: string;
  trigger: string;
}

/** A `/ops` slash command, form-encoded as Slack posts it. */
export function slashBody(origin: Origin, text: string, responseUrl: string): string {
  return new URLSearchParams({
    token: 'console',
    team_id: TEAM,
    api_app_id: APP,
    channel_id: origin.channel,
    user_id: origin.user,
    command: '/ops',
    text,
    response_url: responseUrl,
    trigger_id: origin.trigger,
  }).toString();
}

/** A button pressed on a message (`ts`) or on an ephemeral one (no ts). */
export function messageButtonBody(
  origin: Origin,
  button: ConsoleButton,
  ts: string | undefined,
  responseUrl: string,
): string {
  const { user, channel } = origin;
  return interactive({
    type: 'block_actions',
    team: { id: TEAM },
    api_app_id: APP,
    user: { id: user },
    channel: { id: channel },
    container: ts
      ? { type: 'message', message_ts: ts, channel_id: channel }
      : { type: 'ephemeral', channel_id: channel },
    ...(ts ? { message: { ts, type: 'message' } } : {}),
    trigger_id: origin.trigger,
    response_url: responseUrl,
    actions: [action(button)],
  });
}

/** A button pressed on the App Home: from a view, with no channel and no response_url. */
export function homeButtonBody(origin: Origin, button: ConsoleButton, home: Record<string, unknown>): string {
  const viewId = String(home.id);
  return interactive({
    type: 'block_actions',
    team: { id: TEAM },
    api_app_id: APP,
    user: { id: origin.user, team_id: TEAM },
    container: { type: 'view', view_id: viewId },
    trigger_id: origin.trigger,
    view: { private_metadata: '', state: { values: {} }, ...home, id: viewId, type: 'home' },
    actions: [action(button)],
  });
}

/** A modal submitted with its inputs' values. */
export function viewSubmissionBody(origin: Origin, view: Record<string, unknown>): string {
  return interactive({
    type: 'view_submission',
    team: { id: TEAM },
    api_app_id: APP,
    user: { id: origin.user },
    trigger_id: origin.trigger,
    view,
  });
}

/** An Events API `event_callback`, as JSON (Slack signs the raw JSON body). */
export function eventCallbackBody(event: Record<string, unknown>, sequence: number): string {
  const now = Date.now() / 1000;
  return JSON.stringify({
    token: 'console',
    team_id: TEAM,
    api_app_id: APP,
    event: { event_ts: now.toFixed(6), ...event },
    type: 'event_callback',
    event_id: `Ev0CONSOLE${Math.floor(now)}x${sequence}`,
    event_time: Math.floor(now),
    authorizations: [{ team_id: TEAM, user_id: 'U0OPSBOT', is_bot: true, is_enterprise_install: false }],
  });
}

/** Interactivity payloads are form-encoded JSON in a `payload` field. */
function interactive(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

function action(button: ConsoleButton): Record<string, unknown> {
  return { type: 'button', action_ts: String(Date.now() / 1000), ...button, text: undefined };
}
