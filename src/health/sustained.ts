import { formatDuration } from '../config/duration.js';
import type { HealthLevel, HealthResult } from './levels.js';

/**
 * Sustained thresholds: a check with `sustained: 5m` counts as warning (or critical) only once it has been
 * warning or worse (critical) run after run for 5 minutes; until then it shows the level it held before, ok if
 * none. Recovery is immediate: a better run counts at once, so one good scrape ends the hold as one bad scrape
 * never starts an alert. Every run of the check counts, whichever process made it (the probe, `/ops status`,
 * a digest, an incident's status update), through one store shared by all of them.
 */

/** One check's history as the runs so far left it; times in ms on the store's clock. */
export interface SustainedState {
  /** Since when every run was warning or worse; null when the last run was ok. */
  warningSince: number | null;
  /** Since when every run was critical; null when the last run was better. */
  criticalSince: number | null;
  /** When the check last ran. */
  observedAt: number;
}

/** What a run counts as: the level held, and how long the run's own level has lasted. */
export interface Held {
  level: HealthLevel;
  /** How long the check has been at its run's level or worse (0 when that is ok). */
  forMs: number;
}

/** Where every process records the runs of sustained checks; stamped with the store's own clock. */
export interface SustainedLevels {
  /** Records one run's level of `check` of `service` and says what the run counts as. */
  observe(service: string, check: string, level: HealthLevel, sustainedMs: number): Promise<Held>;
}

/**
 * Runs further apart than this (or than the sustained duration, if longer) are not continuous: opsbot was
 * stopped, or nothing ran the check, so whether the level held in between is unknown and it starts over.
 */
export const MAX_GAP_MS = 15 * 60_000;

/** The state after a run at `at` with `level`, from the state before it (undefined: the first run). Pure. */
export function nextSustained(
  previous: SustainedState | undefined,
  level: HealthLevel,
  at: number,
  sustainedMs: number,
): SustainedState {
  const continuous = previous !== undefined && at - previous.observedAt <= Math.max(MAX_GAP_MS, sustainedMs);
  const since = (earlier: number | null | undefined) => (continuous ? (earlier ?? at) : at);
  return {
    warningSince: level === 'ok' ? null : since(previous?.warningSince),
    criticalSince: level === 'critical' ? since(previous?.criticalSince) : null,
    observedAt: Math.max(at, previous?.observedAt ?? at),
  };
}

/** What the run that left `state` counts as at `at`: the worst level held for `sustainedMs`. Pure. */
export function heldLevel(state: SustainedState, at: number, sustainedMs: number): Held {
  const heldFor = (since: number | null) => (since === null ? -1 : at - since);
  const critical = heldFor(state.criticalSince);
  const warning = heldFor(state.warningSince);
  const level = critical >= sustainedMs ? 'critical' : warning >= sustainedMs ? 'warning' : 'ok';
  return { level, forMs: Math.max(0, critical >= 0 ? critical : warning) };
}

/** A run's result as it counts: its own when held; else the held level, the detail saying what is held back. */
export function sustainedResult(result: HealthResult, held: Held, sustainedMs: number): HealthResult {
  if (held.level === result.level) return result;
  const lasted = `${result.level} for ${roughly(held.forMs)}`;
  return {
    ...result,
    level: held.level,
    detail: `${result.detail}; ${lasted} (sustained ${formatDuration(sustainedMs)} before it counts)`,
  };
}

/** `40 s`, `4 min`: how long a level has lasted, as a detail says it. */
function roughly(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 120 ? `${seconds} s` : `${Math.floor(seconds / 60)} min`;
}
