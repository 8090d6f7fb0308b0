import type { Button, KnownBlock } from '@slack/types';
import { formatDuration } from '../../config/duration.js';
import type { Alert, AlertStatus, BulkResult, StormView } from '../../pagerduty/alert.js';
import type { StormRule } from '../../pagerduty/storm-config.js';
import type { MessageContent } from '../transport/outbox/message.js';
import { ALERT_BLOCK, ALERT_BUTTONS, alertActionId, STORM_BLOCK, STORM_BUTTONS } from './ids.js';
import { clip, LIMITS } from './limits.js';
import { utc } from './status.js';

/** A card's content: fallback text and its blocks, of which it always has some. */
type CardContent = Required<Pick<MessageContent, 'text' | 'blocks'>>;

/** Slack has no colour for Block Kit messages, so the state is the emoji every line about it starts with. */
export const STATUS_ICON: Record<AlertStatus, string> = {
  triggered: ':red_circle:',
  acknowledged: ':large_orange_circle:',
  resolved: ':large_green_circle:',
};

const STATUS_WORD: Record<AlertStatus, string> = {
  triggered: 'Triggered',
  acknowledged: 'Acknowledged',
  resolved: 'Resolved',
};

/** What the card says about the latest event, by event type. */
const CHANGE_WORD: Record<string, string> = {
  'incident.triggered': 'Triggered',
  'incident.acknowledged': 'Acknowledged',
  'incident.unacknowledged': 'Unacknowledged',
  'incident.escalated': 'Escalated',
  'incident.reassigned': 'Reassigned',
  'incident.delegated': 'Delegated',
  'incident.priority_updated': 'Priority changed',
  'incident.resolved': 'Resolved',
  'incident.reopened': 'Reopened',
};

/** Text from PagerDuty, safe inside Slack mrkdwn (no accidental links or mentions). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A URL as the target of a Slack link: `|`, `<` and `>` would end it early. */
function linkTarget(url: string): string {
  return url.replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E');
}

/** `#42 Title`, linked to PagerDuty when the incident has a URL. */
function incidentLink(alert: Pick<Alert, 'number' | 'title' | 'html_url'>, titleMax = 200): string {
  const label = `${alert.number !== null ? `#${alert.number} ` : ''}${escapeMrkdwn(clip(alert.title, titleMax))}`;
  return alert.html_url ? `<${linkTarget(alert.html_url)}|${label}>` : label;
}

function button(text: string, actionId: string, value: string, style?: 'primary' | 'danger'): Button {
  return {
    type: 'button',
    action_id: actionId,
    text: { type: 'plain_text', text: clip(text, LIMITS.buttonText) },
    value,
    ...(style ? { style } : {}),
  };
}

/** The buttons an open incident's card offers, then up to three of the mapped service's actions. */
function buttons(alert: Alert, suggested: string[]): Button[] {
  const id = alert.id;
  return [
    ...(alert.status === 'triggered'
      ? [button('Acknowledge', ALERT_BUTTONS.acknowledge, id, 'primary')]
      : []),
    button('Resolve', ALERT_BUTTONS.resolve, id),
    button('Escalate', ALERT_BUTTONS.escalate, id),
    button('Add note', ALERT_BUTTONS.note, id),
    ...(alert.opsbot_incident_id ? [] : [button('Declare incident', ALERT_BUTTONS.declare, id, 'danger')]),
    ...(alert.opsbot_service
      ? suggested.map((action) => button(action, alertActionId(alert.opsbot_service as string, action), id))
      : []),
  ];
}

/** Where the Declare incident button was, once an opsbot incident is linked: which one, and its channel. */
function declaredLine(incidentId: string, channel: string | null | undefined): KnownBlock {
  const where = channel ? ` in <#${channel}>` : '';
  return {
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `:rotating_light: Declared as *${incidentId}*${where}` }],
  };
}

/**
 * One PagerDuty incident's card, edited in place on every event: state, title and link, service, urgency,
 * priority, assignees, the latest change and note, the opsbot incident declared for it, and (until resolved)
 * the buttons. `suggested` names actions of the mapped opsbot service.
 */
export function alertCard(alert: Alert, suggested: string[]): CardContent {
  const service = alert.service_name ?? alert.service_id;
  const head = `${STATUS_ICON[alert.status]} *${STATUS_WORD[alert.status]}* · *${incidentLink(alert)}*`;
  const fields = [
    `*Service*\n${escapeMrkdwn(service)}${alert.opsbot_service ? ` (${alert.opsbot_service})` : ''}`,
    `*Urgency*\n${alert.urgency ?? '—'}`,
    `*Priority*\n${alert.priority ? escapeMrkdwn(alert.priority) : '—'}`,
    `*Assigned to*\n${alert.assignees.length > 0 ? alert.assignees.map((p) => escapeMrkdwn(p.name)).join(', ') : '_nobody_'}`,
  ];
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: clip(head, LIMITS.sectionText) } },
    {
      type: 'section',
      fields: fields.map((text) => ({ type: 'mrkdwn' as const, text: clip(text, LIMITS.fieldText) })),
    },
  ];
  const note = alert.latest_note;
  if (note) {
    const by = note.by ? `${escapeMrkdwn(note.by)}, ` : '';
    const text = `:memo: *Latest note* (${by}${utc(new Date(note.at))}): ${escapeMrkdwn(note.content)}`;
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(text, LIMITS.sectionText) } });
  }
  const change = alert.last_change;
  const context = [
    change
      ? `${CHANGE_WORD[change.type] ?? change.type}${change.by ? ` by ${escapeMrkdwn(change.by)}` : ''} at ${utc(new Date(change.at))}`
      : undefined,
    alert.html_url ? `<${linkTarget(alert.html_url)}|Open in PagerDuty>` : undefined,
    `PagerDuty ${alert.id}`,
  ].filter((part) => part !== undefined);
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: clip(context.join(' · '), LIMITS.fieldText) }],
  });
  if (alert.opsbot_incident_id) {
    blocks.push(declaredLine(alert.opsbot_incident_id, alert.opsbot_incident_channel));
  }
  if (alert.status !== 'resolved') {
    blocks.push({
      type: 'actions',
      block_id: `${ALERT_BLOCK}:${alert.id}`,
      elements: buttons(alert, suggested),
    });
  }
  const number = alert.number !== null ? ` #${alert.number}` : '';
  return {
    text: clip(`PagerDuty${number} ${alert.status}: ${alert.title} (${service})`, LIMITS.sectionText),
    blocks,
  };
}

/** The roll-up card of an alert storm: how many, by state now, the newest few, linked, and its buttons. */
export function stormCard(view: StormView, rule: StormRule): CardContent {
  const { storm, byStatus, newest } = view;
  const total = storm.posted_before + storm.rolled_up;
  const service = escapeMrkdwn(view.serviceName ?? storm.service_id);
  const mapped = view.opsbotService ? ` (${view.opsbotService})` : '';
  const states = (['triggered', 'acknowledged', 'resolved'] as const)
    .map((status) => `${STATUS_ICON[status]} ${byStatus[status]} ${status}`)
    .join(' · ');
  const head =
    `:rotating_light: *Alert storm* on *${service}*${mapped}: *${total}* PagerDuty incidents since ${utc(storm.started_at)}\n` +
    `${storm.posted_before} posted on their own, ${storm.rolled_up} rolled up here · now ${states}`;
  const more = storm.rolled_up - newest.length;
  const list = [
    ...newest.map((alert) => `${STATUS_ICON[alert.status]} ${incidentLink(alert, 150)}`),
    ...(more > 0 ? [`_and ${more} more_`] : []),
  ];
  const bulk = bulkLine(storm);
  const open = byStatus.triggered + byStatus.acknowledged;
  const stormButtons = [
    ...(byStatus.triggered > 0
      ? [button('Acknowledge all', STORM_BUTTONS.acknowledgeAll, storm.id, 'primary')]
      : []),
    ...(open > 0 ? [button('Resolve all', STORM_BUTTONS.resolveAll, storm.id)] : []),
  ];
  return {
    text: `Alert storm on ${view.serviceName ?? storm.service_id}: ${total} PagerDuty incidents`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: clip(head, LIMITS.sectionText) } },
      { type: 'section', text: { type: 'mrkdwn', text: clip(list.join('\n'), LIMITS.sectionText) } },
      ...(bulk
        ? [{ type: 'section', text: { type: 'mrkdwn', text: clip(bulk, LIMITS.sectionText) } } as const]
        : []),
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `More than ${rule.threshold} trigger${rule.threshold === 1 ? '' : 's'} of one service within ${formatDuration(rule.windowMs)} are rolled up into one card. Acknowledge all and Resolve all act on the incidents rolled up here, as you, one PagerDuty request each.`,
          },
        ],
      },
      ...(stormButtons.length > 0
        ? [{ type: 'actions', block_id: `${STORM_BLOCK}:${storm.id}`, elements: stormButtons } as const]
        : []),
    ],
  };
}

/** What the card says about Acknowledge all or Resolve all: under way, or how the last one went. */
function bulkLine(storm: StormView['storm']): string | undefined {
  if (storm.bulk_since && storm.bulk_kind && storm.bulk_by) {
    const doing = storm.bulk_kind === 'acknowledge' ? 'acknowledging' : 'resolving';
    return `:hourglass_flowing_sand: <@${storm.bulk_by}> is ${doing} the open incidents rolled up here in PagerDuty (since ${utc(storm.bulk_since)})…`;
  }
  const result = storm.bulk_result;
  if (!result) return undefined;
  return bulkOutcome(result, BULK_FAILURES_LISTED);
}

/** How many failures the card names; the thread names them all. */
const BULK_FAILURES_LISTED = 10;

/**
 * `:white_check_mark: Acknowledge all by <@U0ALICE> at …: 3 of 3 acknowledged in PagerDuty.`, and when some
 * failed, which and why (the first `listed`, then how many more).
 */
export function bulkOutcome(result: BulkResult, listed: number): string {
  const verb = result.kind === 'acknowledge' ? 'Acknowledge all' : 'Resolve all';
  const done = result.kind === 'acknowledge' ? 'acknowledged' : 'resolved';
  const failed = result.failed.length;
  const icon = failed > 0 ? ':warning:' : ':white_check_mark:';
  const head = `${icon} ${verb} by <@${result.by}> at ${utc(new Date(result.at))}: ${result.done} of ${result.sent} ${done} in PagerDuty${failed > 0 ? `; ${failed} failed:` : '.'}`;
  const named = result.failed
    .slice(0, listed)
    .map((failure) => `• ${escapeMrkdwn(failure.name)}: ${escapeMrkdwn(failure.reason)}`);
  const rest = failed - named.length;
  return [head, ...named, ...(rest > 0 ? [`_and ${rest} more (named in the thread)_`] : [])].join('\n');
}
