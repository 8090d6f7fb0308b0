/** Levels from best to worst. */
export const HEALTH_LEVELS = ['ok', 'warning', 'critical'] as const;

/** How healthy a check found its target. */
export type HealthLevel = (typeof HEALTH_LEVELS)[number];

/** How bad a level is: 0 for ok, higher is worse. */
export function levelRank(level: HealthLevel): number {
  return HEALTH_LEVELS.indexOf(level);
}

/** The worst of some levels; ok when there are none. */
export function worstLevel(levels: HealthLevel[]): HealthLevel {
  return HEALTH_LEVELS[Math.max(0, ...levels.map(levelRank))] ?? 'ok';
}

/** One check's outcome: its level, what was measured, and how long it took. */
export interface HealthResult {
  name: string;
  level: HealthLevel;
  detail: string;
  latencyMs: number;
}

/** Levels for a measured number: past `above` or under `below`. */
export interface Thresholds {
  above?: number | undefined;
  below?: number | undefined;
}

/** The level of a measured value: critical if it crosses the critical thresholds, else warning, else ok. */
export function levelOf(value: number, warning?: Thresholds, critical?: Thresholds): HealthLevel {
  const crosses = (t?: Thresholds) =>
    t !== undefined &&
    ((t.above !== undefined && value > t.above) || (t.below !== undefined && value < t.below));
  if (crosses(critical)) return 'critical';
  if (crosses(warning)) return 'warning';
  return 'ok';
}

/** Starts timing a check: the function it returns makes the check's result, with the latency so far. */
export function timedResult(
  name: string,
  now: () => number = performance.now.bind(performance),
): (level: HealthLevel, detail: string) => HealthResult {
  const started = now();
  return (level, detail) => ({ name, level, detail, latencyMs: Math.round(now() - started) });
}
