/** Counter totals of one check at one scrape, by name (`of`/`to` of a ratio, bucket bounds of a histogram). */
export interface Reading {
  /** Milliseconds on the store's clock. */
  at: number;
  counters: ReadonlyMap<string, number>;
}

/** What a cumulative measurement covers: the increase over the last `ms` (`seconds`, rounded), or the totals and why. */
export type Window =
  | { kind: 'increase'; seconds: number; ms: number; counters: ReadonlyMap<string, number> }
  | { kind: 'totals'; why: string };

/** Where the earlier readings of every check are kept; a reading is stamped with the store's own clock. */
export interface CounterWindowStore {
  /**
   * The increase of `counters` since an earlier reading of `key`, when there is one, no counter went down
   * (a restart) and `denominator` (when given: a ratio's) grew; else why not. Remembers this reading either way.
   */
  since(key: string, counters: ReadonlyMap<string, number>, denominator?: string): Promise<Window>;
}

export interface CounterWindowOptions {
  /** A window starts at the newest earlier reading at least this old, so two scrapes close together are not a window of a few requests. */
  minWindowMs?: number;
  /** Checks remembered; the one updated longest ago is forgotten first. */
  maxChecks?: number;
  /** Readings kept per check. */
  maxReadings?: number;
}

/** The defaults every store uses: a window of about a minute, 500 checks, 20 readings each. */
export const WINDOW_DEFAULTS: Required<CounterWindowOptions> = {
  minWindowMs: 60_000,
  maxChecks: 500,
  maxReadings: 20,
};

/**
 * The window of `reading` over a check's earlier readings (oldest first), and the readings to keep after it.
 * Pure, so every store measures windows the same way.
 */
export function nextWindow(
  history: readonly Reading[],
  reading: Reading,
  denominator: string | undefined,
  options: Pick<Required<CounterWindowOptions>, 'minWindowMs' | 'maxReadings'>,
): { window: Window; keep: Reading[] } {
  const base = history.findLast((earlier) => earlier.at <= reading.at - options.minWindowMs) ?? history[0];
  if (base === undefined) return { window: { kind: 'totals', why: 'first scrape' }, keep: [reading] };
  const increase = new Map<string, number>();
  for (const [name, value] of reading.counters) increase.set(name, value - (base.counters.get(name) ?? 0));
  const reset =
    base.counters.size !== reading.counters.size ||
    [...base.counters.keys()].some((name) => !reading.counters.has(name)) ||
    [...increase.values()].some((delta) => delta < 0);
  if (reset) {
    const why = 'the counters were reset since the previous scrape';
    return { window: { kind: 'totals', why }, keep: [reading] };
  }
  // Readings closer together than `spacing` replace each other, so frequent scrapes (several replicas,
  // `/ops status` through an outage) cannot push the minute-old base out of the kept readings.
  const spacing = options.minWindowMs / Math.max(1, options.maxReadings - 2);
  const after = history.slice(history.indexOf(base) + 1);
  const last = after.at(-1);
  const recent =
    last && last.at - (after.at(-2) ?? base).at < spacing
      ? [...after.slice(0, -1), reading]
      : [...after, reading];
  const keep = [base, ...recent.slice(-(options.maxReadings - 1))];
  const ms = reading.at - base.at;
  const seconds = Math.max(1, Math.round(ms / 1000));
  if (denominator !== undefined && (increase.get(denominator) ?? 0) <= 0) {
    return { window: { kind: 'totals', why: `nothing new was counted in the last ${seconds} s` }, keep };
  }
  return { window: { kind: 'increase', seconds, ms, counters: increase }, keep };
}
