import type { KnownBlock } from '@slack/types';
import type { ResultTable } from '../../result-table.js';
import type { StepView } from '../../runbooks/ports.js';
import { type Run, SYSTEM_ACTOR } from '../../runs/run.js';
import type { RunState } from '../../runs/states.js';
import type { MessageContent } from '../transport/outbox/message.js';
import { RUN_BUTTONS } from './ids.js';
import { clip, LIMITS } from './limits.js';
import { tableBlocks, tableText } from './table.js';

const STATE_LABEL: Record<RunState, string> = {
  planned: ':hourglass_flowing_sand: Planning',
  awaiting_confirmation: ':raised_hand: Waiting for the requester to confirm',
  awaiting_approval: ':busts_in_silhouette: Waiting for a second person to approve',
  queued: ':inbox_tray: Queued',
  running: ':gear: Running',
  succeeded: ':white_check_mark: Succeeded',
  failed: ':x: Failed',
  interrupted: ':warning: Interrupted: verify by hand',
  rejected: ':no_entry: Rejected',
  expired: ':alarm_clock: Expired',
  cancelled: ':heavy_multiplication_x: Cancelled',
};

/** One line per run state, for cards and thread replies. */
export function stateLabel(state: RunState): string {
  return STATE_LABEL[state];
}

/** A card's content: it always has blocks (and, with a table block, the blocks to show without it). */
type CardContent = MessageContent & { blocks: KnownBlock[] };

/**
 * The run card: what was asked, by whom, its plan, its state, and the buttons its state allows. A plan's table is
 * a table block where it fits one, and the same card with the monospaced table is its fallback.
 */
export function runCard(run: Run, progress?: string, steps?: StepView[]): CardContent {
  const params = Object.entries(run.params)
    .map(([name, value]) => `${name}=\`${String(value)}\``)
    .join(' ');
  const people = [
    run.requested_by === SYSTEM_ACTOR ? 'Started by opsbot' : `Requested by <@${run.requested_by}>`,
    run.confirmed_by ? `confirmed by <@${run.confirmed_by}>` : undefined,
    run.approved_by ? `approved by <@${run.approved_by}>` : undefined,
  ].filter(Boolean);
  const before: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(
          `*${run.action}* on *${run.service}* ${params}\n${stateLabel(run.state)}`,
          LIMITS.sectionText,
        ),
      },
    },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: clip(`${people.join(', ')} · risk ${run.risk} · ${run.id}`, LIMITS.fieldText),
        },
      ],
    },
  ];
  if (run.plan) {
    before.push({
      type: 'section',
      text: { type: 'mrkdwn', text: clip(`*Plan:* ${run.plan.summary}`, LIMITS.sectionText) },
    });
  }
  const after: KnownBlock[] = [];
  if (steps && steps.length > 0) after.push(...stepsSections(steps));
  if (progress && run.state === 'running') {
    after.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: clip(`:hourglass: ${progress}`, LIMITS.fieldText) }],
    });
  }
  if (run.result) after.push(resultSection(`*Result:* ${run.result.summary}`));
  if (run.error) after.push(resultSection(`*Error:* ${run.error}`));
  const buttons = buttonsFor(run);
  if (buttons.length > 0) after.push({ type: 'actions', block_id: `run:${run.id}`, elements: buttons });
  const text = `${run.action} on ${run.service}: ${run.state.replace('_', ' ')}`;
  // A runbook's plan lists its steps; once they are shown with their states, the list would say it twice.
  const table = run.plan?.table && !steps?.length ? run.plan.table : undefined;
  return withTable(text, before, table, after);
}

/** The thread reply that reports a finished run. */
export function runOutcome(run: Run): CardContent {
  const body = run.result
    ? `${stateLabel(run.state)}: ${run.result.summary}`
    : `${stateLabel(run.state)}: ${run.error ?? 'no details'}`;
  return withTable(clip(body, LIMITS.sectionText), [resultSection(body)], run.result?.table, []);
}

/**
 * A message with a table between `before` and `after`: a table block where the table fits one, with the
 * monospaced table as the fallback Slack's refusal falls back to, or the monospaced table alone.
 */
function withTable(
  text: string,
  before: KnownBlock[],
  table: ResultTable | undefined,
  after: KnownBlock[],
): CardContent {
  if (!table) return { text, blocks: [...before, ...after] };
  const monospace: KnownBlock = { type: 'section', text: { type: 'mrkdwn', text: tableText(table) } };
  const native = tableBlocks(table);
  if (!native) return { text, blocks: [...before, monospace, ...after] };
  return { text, blocks: [...before, ...native, ...after], fallbackBlocks: [...before, monospace, ...after] };
}

const STEP_ICON: Record<StepView['state'], string> = {
  waiting: ':white_circle:',
  running: ':arrows_counterclockwise:',
  done: ':white_check_mark:',
  skipped: ':fast_forward:',
  failed: ':x:',
};

/** About the most a step's line takes on the card, so that one long question or reason cannot crowd out the rest. */
const STEP_LINE = 600;

/**
 * A runbook's steps, one line each: its state, its name, what it does, and what it waits for or found; in
 * as many sections as it takes, so that a long runbook's last steps are not cut off.
 */
function stepsSections(steps: StepView[]): KnownBlock[] {
  const lines = steps.map((step, i) => {
    const detail = step.detail ? `\n      _${clip(step.detail, STEP_LINE / 2)}_` : '';
    return `${STEP_ICON[step.state]} ${i + 1}. *${step.name}* (${step.state}) — ${clip(step.does, STEP_LINE / 2)}${detail}`;
  });
  const sections: string[][] = [[]];
  let size = 0;
  for (const line of lines) {
    if (size + line.length + 1 > LIMITS.sectionText) {
      sections.push([]);
      size = 0;
    }
    sections.at(-1)?.push(line);
    size += line.length + 1;
  }
  return sections.map((chunk) => ({ type: 'section', text: { type: 'mrkdwn', text: chunk.join('\n') } }));
}

function resultSection(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text, LIMITS.sectionText) } };
}

function buttonsFor(run: Run) {
  const button = (text: string, actionId: string, style?: 'primary' | 'danger') => ({
    type: 'button' as const,
    text: { type: 'plain_text' as const, text },
    action_id: actionId,
    value: run.id,
    ...(style ? { style } : {}),
  });
  if (run.state === 'awaiting_confirmation') {
    return [button('Confirm', RUN_BUTTONS.confirm, 'primary'), button('Cancel', RUN_BUTTONS.cancel)];
  }
  if (run.state === 'awaiting_approval') {
    return [
      button('Approve', RUN_BUTTONS.approve, 'primary'),
      button('Reject', RUN_BUTTONS.reject, 'danger'),
      button('Cancel', RUN_BUTTONS.cancel),
    ];
  }
  // A running runbook stops between steps (RunService.stop); offered until someone has asked.
  if (run.state === 'running' && run.kind === 'runbook' && !run.cancel_requested_by) {
    return [button('Cancel', RUN_BUTTONS.cancel)];
  }
  return [];
}
