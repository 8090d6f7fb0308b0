import type { ServiceStatus } from '../../health/status.js';
import { clip, LIMITS } from './limits.js';

const ICON = { ok: ':white_check_mark:', warning: ':warning:', critical: ':red_circle:' } as const;

/** `/ops status` as text: per service its level, each check with what was measured and its latency. */
export function statusText(statuses: ServiceStatus[]): string {
  if (statuses.length === 0) return '_There are no services you may see the status of._';
  const lines = statuses.flatMap(({ service, level, checks, state }) => [
    `*${service}* ${ICON[level]} ${level === 'ok' ? 'healthy' : level}`,
    ...(checks.length === 0 ? ['  _no health checks configured_'] : []),
    ...checks.map(
      (check) => `  ${ICON[check.level]} ${check.name} — ${check.detail} (${check.latencyMs} ms)`,
    ),
    ...state.map(
      (line) =>
        `  :large_yellow_circle: ${line.text} since ${utc(line.since)}${line.until ? `, until ${utc(line.until)}` : ''}`,
    ),
  ]);
  return clip(lines.join('\n'), LIMITS.sectionText);
}

function utc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
