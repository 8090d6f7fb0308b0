import {
  type CounterWindowOptions,
  type CounterWindowStore,
  nextWindow,
  type Reading,
  WINDOW_DEFAULTS,
  type Window,
} from '../../src/health/counter-windows.js';

/**
 * Recent counter readings of each check in memory, on a clock the test sets: the plain store for unit tests
 * (opsbot keeps them in PostgreSQL, PostgresCounterWindows, shared by its processes).
 */
export class CounterWindows implements CounterWindowStore {
  private readonly readings = new Map<string, Reading[]>();
  private readonly options: Required<CounterWindowOptions>;

  constructor(
    options: CounterWindowOptions = {},
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.options = { ...WINDOW_DEFAULTS, ...options };
  }

  async since(key: string, counters: ReadonlyMap<string, number>, denominator?: string): Promise<Window> {
    const { window, keep } = nextWindow(
      this.readings.get(key) ?? [],
      { at: this.now(), counters },
      denominator,
      this.options,
    );
    this.readings.delete(key);
    this.readings.set(key, keep);
    const oldest = this.readings.keys().next();
    if (this.readings.size > this.options.maxChecks && !oldest.done) this.readings.delete(oldest.value);
    return window;
  }
}
