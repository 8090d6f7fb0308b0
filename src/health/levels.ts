import type { HealthLevel } from './http-check.js';

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
