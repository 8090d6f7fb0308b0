/** Counter totals of one check at one scrape, by name (`of`/`to` of a ratio, bucket bounds of a histogram). */
export interface Reading {
  /** Milliseconds on a monotonic clock. */
  at: number;
  counters: ReadonlyMap<string, number>;
}

/** What a cumulative measurement covers: the increase over the last `seconds`, or the totals and why. */
export type Window =
  | { kind: 'increase'; seconds: number; counters: ReadonlyMap<string, number> }
  | { kind: 'totals'; why: string };

export interface CounterWindowOptions {
  /** A window starts at the newest earlier reading at least this old, so two scrapes close together are not a window of a few requests. */
  minWindowMs?: number;
  /** Checks remembered; the one updated longest ago is forgotten first. */
  maxChecks?: number;
  /** Readings kept per check. */
  maxReadings?: number;
}

/**
 * Recent counter readings of each check, in memory, so that a ratio or a quantile covers the last minute
 * or so rather than the target's whole life (which hides a fresh spike behind months of good traffic).
 */
export class CounterWindows {
  private readonly readings = new Map<string, Reading[]>();
  private readonly minWindowMs: number;
  private readonly maxChecks: number;
  private readonly maxReadings: number;

  constructor(options: CounterWindowOptions = {}) {
    this.minWindowMs = options.minWindowMs ?? 60_000;
    this.maxChecks = options.maxChecks ?? 500;
    this.maxReadings = options.maxReadings ?? 20;
  }

  /**
   * The increase since an earlier reading of `key`, when there is one, no counter went down (a restart)
   * and `denominator` grew; else why not. Remembers `reading` either way.
   */
  since(key: string, reading: Reading, denominator: string): Window {
    const history = this.readings.get(key) ?? [];
    const base = history.findLast((earlier) => earlier.at <= reading.at - this.minWindowMs) ?? history[0];
    if (base === undefined) {
      this.remember(key, [reading]);
      return { kind: 'totals', why: 'first scrape' };
    }
    const increase = new Map<string, number>();
    for (const [name, value] of reading.counters) increase.set(name, value - (base.counters.get(name) ?? 0));
    const reset =
      base.counters.size !== reading.counters.size ||
      [...base.counters.keys()].some((name) => !reading.counters.has(name)) ||
      [...increase.values()].some((delta) => delta < 0);
    if (reset) {
      this.remember(key, [reading]);
      return { kind: 'totals', why: 'the counters were reset since the previous scrape' };
    }
    this.remember(key, [...history.slice(history.indexOf(base)), reading].slice(-this.maxReadings));
    const seconds = Math.max(1, Math.round((reading.at - base.at) / 1000));
    if ((increase.get(denominator) ?? 0) <= 0) {
      return { kind: 'totals', why: `nothing new was counted in the last ${seconds} s` };
    }
    return { kind: 'increase', seconds, counters: increase };
  }

  private remember(key: string, history: Reading[]): void {
    this.readings.delete(key);
    this.readings.set(key, history);
    const oldest = this.readings.keys().next();
    if (this.readings.size > this.maxChecks && !oldest.done) this.readings.delete(oldest.value);
  }
}
