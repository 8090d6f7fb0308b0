import type { HealthLevel } from './levels.js';
import { levelRank, worstLevel } from './levels.js';

/**
 * Probes in a row that must all be better than the recorded level before a service is recorded as better:
 * a worse level is recorded (and posted) at once, a recovery only once it holds, so a flapping service
 * posts once when it goes bad instead of on every probe.
 */
export const RECOVERY_PROBES = 2;

/** What the probe keeps about a service between probes. */
export interface RecordedHealth {
  level: HealthLevel;
  /** When the service reached `level`. */
  since: Date;
  /** When it last left ok; null while ok. */
  unhealthySince: Date | null;
  /** The worst of the probes in a row that were better than `level`, and how many there were. */
  betterLevel: HealthLevel | null;
  betterCount: number;
  /** The start of the probe recorded last. */
  checkedAt: Date;
}

/** A change of recorded level: the thing the ops channel hears about. */
export interface HealthTransition {
  /** Null when the service is seen for the first time. */
  from: HealthLevel | null;
  to: HealthLevel;
  at: Date;
  /** On a recovery to ok, when the trouble began. */
  unhealthySince: Date | null;
}

export interface Observed {
  next: RecordedHealth;
  transition?: HealthTransition;
}

/** The first probe of a service: recorded as seen; a transition (to be posted) only if it is not ok. */
export function firstObservation(level: HealthLevel, at: Date): Observed {
  const next: RecordedHealth = {
    level,
    since: at,
    unhealthySince: level === 'ok' ? null : at,
    betterLevel: null,
    betterCount: 0,
    checkedAt: at,
  };
  return level === 'ok'
    ? { next }
    : { next, transition: { from: null, to: level, at, unhealthySince: null } };
}

/**
 * A later probe that started at `at` and saw `level`. Undefined when a newer probe has already been
 * recorded (overlapping probes finish out of order): the older answer must not undo the newer one.
 */
export function observe(recorded: RecordedHealth, level: HealthLevel, at: Date): Observed | undefined {
  if (at.getTime() <= recorded.checkedAt.getTime()) return undefined;
  const steady = { ...recorded, betterLevel: null, betterCount: 0, checkedAt: at };
  if (level === recorded.level) return { next: steady };
  if (levelRank(level) > levelRank(recorded.level)) {
    const unhealthySince = recorded.unhealthySince ?? at;
    return {
      next: { ...steady, level, since: at, unhealthySince },
      transition: { from: recorded.level, to: level, at, unhealthySince: null },
    };
  }
  const betterLevel = recorded.betterLevel === null ? level : worstLevel([recorded.betterLevel, level]);
  const betterCount = recorded.betterCount + 1;
  if (betterCount < RECOVERY_PROBES)
    return { next: { ...recorded, betterLevel, betterCount, checkedAt: at } };
  const recovered = betterLevel === 'ok';
  return {
    next: {
      ...steady,
      level: betterLevel,
      since: at,
      unhealthySince: recovered ? null : recorded.unhealthySince,
    },
    transition: {
      from: recorded.level,
      to: betterLevel,
      at,
      unhealthySince: recovered ? recorded.unhealthySince : null,
    },
  };
}
