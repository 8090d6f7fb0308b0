import type { HealthLevel, HealthResult } from '../../health/levels.js';
import type { ServiceStatus } from '../../health/status.js';
import { clip, LIMITS } from './limits.js';

/** ✅ / ⚠️ / 🔴 as Slack emoji codes. */
export const LEVEL_ICON = {
  ok: ':white_check_mark:',
  warning: ':warning:',
  critical: ':red_circle:',
} as const;

/** A level as a word: ok reads "healthy". */
export function levelName(level: HealthLevel): string {
  return level === 'ok' ? 'healthy' : level;
}

/** One check as a line: its level, what was measured and its latency. */
export function checkLine(check: HealthResult): string {
  return `  ${LEVEL_ICON[check.level]} ${check.name} — ${check.detail} (${check.latencyMs} ms)`;
}

/** `/ops status` as text: per service its level, each check with what was measured and its latency. */
export function statusText(statuses: ServiceStatus[]): string {
  if (statuses.length === 0) return '_There are no services you may see the status of._';
  const lines = statuses.flatMap(({ service, level, checks, state }) => [
    `*${service}* ${LEVEL_ICON[level]} ${levelName(level)}`,
    ...(checks.length === 0 ? ['  _no health checks configured_'] : []),
    ...checks.map(checkLine),
    ...state.map(
      (line) =>
        `  :large_yellow_circle: ${line.text} since ${utc(line.since)}${line.until ? `, until ${utc(line.until)}` : ''}`,
    ),
  ]);
  return clip(lines.join('\n'), LIMITS.sectionText);
}

/** A time as `2025-01-02 03:04 UTC`. */
export function utc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
