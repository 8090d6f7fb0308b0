import { Resvg } from '@resvg/resvg-js';
import type { DailyCount } from './figures.js';

/** The chart's size in pixels, as drawn and as rendered. */
export const CHART_WIDTH = 720;
export const CHART_HEIGHT = 300;

const MARGIN = { top: 40, right: 16, bottom: 36, left: 40 };
const INCIDENT_COLOUR = '#d9534f';
const RUN_COLOUR = '#337ab7';

/** Incidents and action runs per day as grouped bars, hand-drawn SVG (no chart library). */
export function dailyChartSvg(days: DailyCount[]): string {
  const plotWidth = CHART_WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = CHART_HEIGHT - MARGIN.top - MARGIN.bottom;
  const max = Math.max(1, ...days.flatMap((day) => [day.incidents, day.runs]));
  const slot = plotWidth / Math.max(1, days.length);
  const bar = Math.max(1, (slot - 6) / 2);
  const baseY = MARGIN.top + plotHeight;
  const height = (value: number) => (value / max) * plotHeight;
  const shapes = days.flatMap((day, i) => {
    const x = MARGIN.left + i * slot + 3;
    return [
      rect(x, baseY - height(day.incidents), bar, height(day.incidents), INCIDENT_COLOUR),
      rect(x + bar, baseY - height(day.runs), bar, height(day.runs), RUN_COLOUR),
      text(x + bar, baseY + 16, day.day.slice(5), 'middle', 11),
    ];
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}">`,
    `<rect width="${CHART_WIDTH}" height="${CHART_HEIGHT}" fill="#ffffff"/>`,
    text(MARGIN.left, 22, `Incidents and action runs per day (last ${days.length} days)`, 'start', 14),
    rect(CHART_WIDTH - 220, 12, 10, 10, INCIDENT_COLOUR),
    text(CHART_WIDTH - 205, 22, 'incidents', 'start', 12),
    rect(CHART_WIDTH - 130, 12, 10, 10, RUN_COLOUR),
    text(CHART_WIDTH - 115, 22, 'action runs', 'start', 12),
    `<line x1="${MARGIN.left}" y1="${baseY}" x2="${CHART_WIDTH - MARGIN.right}" y2="${baseY}" stroke="#999999"/>`,
    text(MARGIN.left - 6, MARGIN.top + 4, String(max), 'end', 11),
    text(MARGIN.left - 6, baseY, '0', 'end', 11),
    ...shapes,
    '</svg>',
  ].join('\n');
}

/** The chart as PNG bytes, rendered in-process by resvg at the SVG's own size. */
export function dailyChartPng(days: DailyCount[]): Buffer {
  return new Resvg(dailyChartSvg(days), { font: { loadSystemFonts: true } }).render().asPng();
}

function rect(x: number, y: number, width: number, height: number, fill: string): string {
  return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${width.toFixed(1)}" height="${height.toFixed(1)}" fill="${fill}"/>`;
}

function text(
  x: number,
  y: number,
  content: string,
  anchor: 'start' | 'middle' | 'end',
  size: number,
): string {
  const escaped = content.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="sans-serif" font-size="${size}" fill="#333333" text-anchor="${anchor}">${escaped}</text>`;
}
