import { describeError } from '../describe-error.js';
import type { CheckDeps } from './checks/check-type.js';
import { type HealthCheckConfig, runCheck } from './checks/registry.js';
import { type HealthLevel, type HealthResult, worstLevel } from './levels.js';
import { type SustainedLevels, sustainedResult } from './sustained.js';

/** One service's health now: the worst level among its checks, and each check. */
export interface ServiceHealth {
  level: HealthLevel;
  checks: HealthResult[];
}

/** What running a service's checks takes: its databases, the earlier scrapes, the sustained checks' runs. */
export interface ServiceCheckDeps extends CheckDeps {
  /** Every process's runs of the checks with `sustained:`, that hold a worse level back until it lasts. */
  levels: SustainedLevels;
}

/**
 * Runs every check of one service concurrently (each within its own timeout); never throws. A check with
 * `sustained:` counts as the level it has held that long (recorded in `deps.levels`), not its run's own.
 */
export async function checkService(
  service: string,
  checks: HealthCheckConfig[],
  deps: ServiceCheckDeps,
): Promise<ServiceHealth> {
  const results = await Promise.all(
    checks.map(async (check) => sustain(service, check, await runCheck(check, deps), deps.levels)),
  );
  return { level: worstLevel(results.map((result) => result.level)), checks: results };
}

/** A run's result as it counts under the check's `sustained:`; its own level, said so, if the store fails. */
async function sustain(
  service: string,
  check: HealthCheckConfig,
  result: HealthResult,
  levels: SustainedLevels,
): Promise<HealthResult> {
  if (check.sustained === undefined) return result;
  try {
    const held = await levels.observe(service, check.name, result.level, check.sustained);
    return sustainedResult(result, held, check.sustained);
  } catch (error) {
    const why = `the earlier runs could not be read, so it counts at once: ${describeError(error)}`;
    return result.level === 'ok' ? result : { ...result, detail: `${result.detail} (${why})` };
  }
}
