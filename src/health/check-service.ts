import type { Pool } from 'pg';
import { type HealthCheckConfig, runCheck } from './checks/registry.js';
import type { CounterWindowStore } from './counter-windows.js';
import type { HealthLevel, HealthResult } from './levels.js';

/** Levels from best to worst. */
export const HEALTH_LEVELS = ['ok', 'warning', 'critical'] as const satisfies readonly HealthLevel[];

/** One service's health now: the worst level among its checks, and each check. */
export interface ServiceHealth {
  level: HealthLevel;
  checks: HealthResult[];
}

/**
 * Runs every check of one service concurrently (each within its own timeout); never throws. `windows` holds
 * the earlier scrapes that prometheus ratios and quantiles are measured from.
 */
export async function checkService(
  checks: HealthCheckConfig[],
  database: (name: string) => Pool,
  windows: CounterWindowStore,
): Promise<ServiceHealth> {
  const results = await Promise.all(checks.map((check) => runCheck(check, { database, windows })));
  return { level: worstLevel(results.map((result) => result.level)), checks: results };
}

/** How bad a level is: 0 for ok, higher is worse. */
export function levelRank(level: HealthLevel): number {
  return HEALTH_LEVELS.indexOf(level);
}

/** The worst of some levels; ok when there are none. */
export function worstLevel(levels: HealthLevel[]): HealthLevel {
  return HEALTH_LEVELS[Math.max(0, ...levels.map(levelRank))] ?? 'ok';
}
