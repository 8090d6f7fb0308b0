import type { KnownBlock } from '@slack/types';
import type { DigestFigures, DurationStats } from '../../digest/figures.js';
import type { MessageContent } from '../transport/outbox/message.js';
import { asMessageBlock, dailyChartBlock } from './chart-block.js';
import { clip, LIMITS } from './limits.js';

const LEVEL_ICON: Record<string, string> = {
  ok: ':white_check_mark:',
  warning: ':warning:',
  critical: ':red_circle:',
  unknown: ':grey_question:',
};
/** Lines listed per section before "and N more". */
const MAX_LINES = 15;

/** Where the digest's chart is: a data_visualization block in the message, or a PNG in its thread (the fallback). */
export type ChartPlace = 'message' | 'thread';

/**
 * The digest as a Slack message: one section per topic, each within Block Kit's limits, and the chart of the
 * last days as a data_visualization block, or a line saying it is in the thread.
 */
export function digestMessage(
  figures: DigestFigures,
  title = 'Ops digest',
  chart: ChartPlace = 'message',
): MessageContent {
  const { period } = figures;
  const heading = `${title}: ${stamp(period.from)} → ${stamp(period.to)} UTC`;
  const runs = figures.runs.reduce((sum, row) => sum + row.count, 0);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(heading, 150), emoji: true } },
    section(
      [
        `*Incidents:* ${figures.incidentsOpened} opened · ${figures.incidentsResolved} resolved · ${figures.open.length} open`,
        `*Time to acknowledge* (PagerDuty): ${stats(figures.timeToAcknowledge)}`,
        `*Time to resolve*: ${stats(figures.timeToResolve)}`,
        `*Action runs:* ${runs} · *Denials:* ${figures.denials}`,
      ].join('\n'),
    ),
    section(
      `*Open incidents*\n${list(
        figures.open.map(
          (i) =>
            `• <#${i.channel}> ${i.severity} ${clip(i.title, 80)} — open ${duration(i.ageMs)}, commander ${i.commander ? `<@${i.commander}>` : '_none_'}`,
        ),
        '_none_',
      )}`,
    ),
    section(
      `*Action runs by kind and outcome*\n${list(
        groupRuns(figures.runs).map(([kind, states]) => `• ${kind}: ${states}`),
        '_none_',
      )}`,
    ),
    section(
      `*Degraded mode*\n${list(
        figures.degraded.map((d) => `• ${d.service} since ${stamp(d.since)} UTC (by <@${d.by}>)`),
        '_no service is in degraded mode_',
      )}`,
    ),
    section(
      `*Health now*\n${list(
        figures.health.map(
          (h) =>
            `• ${LEVEL_ICON[h.level] ?? ''} ${h.service}: ${h.level === 'unknown' ? 'no health checks' : h.level}${h.since ? ` since ${stamp(h.since)} UTC` : h.now ? ' (checked now)' : ''}`,
        ),
        '_no services_',
      )}`,
    ),
    ...chartBlocks(figures, chart),
  ];
  const text = `${heading}: ${figures.incidentsOpened} incidents opened, ${figures.incidentsResolved} resolved, ${runs} action runs, ${figures.denials} denials.`;
  return { text, blocks: blocks.slice(0, LIMITS.messageBlocks) };
}

/** The chart as a block (and a note when it could not show every day), or the line that points to the PNG. */
function chartBlocks(figures: DigestFigures, place: ChartPlace): KnownBlock[] {
  const days = figures.daily.length;
  const note = (text: string): KnownBlock => ({ type: 'context', elements: [{ type: 'mrkdwn', text }] });
  if (place === 'thread' || days === 0) {
    return days === 0 ? [] : [note(`The chart of the last ${days} days is in the thread.`)];
  }
  const { block, cut } = dailyChartBlock(figures.daily);
  return [
    asMessageBlock(block),
    ...(cut > 0 ? [note(`The chart shows the last ${days - cut} of ${days} days.`)] : []),
  ];
}

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text, LIMITS.sectionText) } };
}

/** Lines up to MAX_LINES and what fits in a section, then how many more there are. */
function list(lines: string[], empty: string): string {
  if (lines.length === 0) return empty;
  const budget = LIMITS.sectionText - 100;
  const shown: string[] = [];
  let used = 0;
  for (const line of lines.slice(0, MAX_LINES)) {
    if (used + line.length + 1 > budget) break;
    shown.push(line);
    used += line.length + 1;
  }
  const more = lines.length - shown.length;
  return more > 0 ? [...shown, `_and ${more} more_`].join('\n') : shown.join('\n');
}

function groupRuns(rows: DigestFigures['runs']): [string, string][] {
  const byKind = new Map<string, string[]>();
  for (const { kind, state, count } of rows)
    byKind.set(kind, [...(byKind.get(kind) ?? []), `${count} ${state}`]);
  return [...byKind].map(([kind, states]) => [kind, states.join(', ')]);
}

function stats(s: DurationStats): string {
  if (s.count === 0 || s.medianMs === null || s.worstMs === null) return '_no data_';
  return `median ${duration(s.medianMs)}, worst ${duration(s.worstMs)} (${s.count})`;
}

/** A duration in the two largest units: `3d 4h`, `2h 5m`, `45s`. */
export function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const units: [string, number][] = [
    ['d', Math.floor(seconds / 86_400)],
    ['h', Math.floor(seconds / 3600) % 24],
    ['m', Math.floor(seconds / 60) % 60],
    ['s', seconds % 60],
  ];
  const first = units.findIndex(([, n]) => n > 0);
  if (first === -1) return '0s';
  return units
    .slice(first, first + 2)
    .filter(([, n]) => n > 0)
    .map(([unit, n]) => `${n}${unit}`)
    .join(' ');
}

function stamp(date: Date): string {
  return date.toISOString().slice(0, 16).replace('T', ' ');
}
