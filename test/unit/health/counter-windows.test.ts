import { describe, expect, it } from 'vitest';
import type { CounterWindowOptions } from '../../../src/health/counter-windows.js';
import { CounterWindows } from '../../support/memory-counter-windows.js';

const counters = (of: number, to: number) =>
  new Map([
    ['of', of],
    ['to', to],
  ]);

/** In-memory windows on a clock the test sets: `at(ms).since(...)` scrapes at `ms`. */
function windowsAt(options: CounterWindowOptions) {
  let now = 0;
  const windows = new CounterWindows(options, () => now);
  return (ms: number) => {
    now = ms;
    return windows;
  };
}

describe('CounterWindows', () => {
  it('uses the totals on the first scrape, then the increase since the earlier scrape', async () => {
    const at = windowsAt({ minWindowMs: 60_000 });
    expect(await at(0).since('k', counters(1, 100), 'to')).toEqual({ kind: 'totals', why: 'first scrape' });
    expect(await at(90_000).since('k', counters(6, 150), 'to')).toEqual({
      kind: 'increase',
      seconds: 90,
      ms: 90_000,
      counters: new Map([
        ['of', 5],
        ['to', 50],
      ]),
    });
  });

  it('measures from the newest scrape at least the minimum window old, so close scrapes still cover a minute', async () => {
    const at = windowsAt({ minWindowMs: 60_000 });
    await at(0).since('k', counters(0, 100), 'to');
    await at(50_000).since('k', counters(0, 150), 'to'); // younger than a minute: measured from 0
    const window = await at(70_000).since('k', counters(7, 170), 'to'); // 0 is the newest at least 60 s old
    expect(window).toMatchObject({ kind: 'increase', seconds: 70 });
    const next = await at(120_000).since('k', counters(7, 180), 'to'); // now 50 s is
    expect(next).toMatchObject({
      kind: 'increase',
      seconds: 70,
      counters: new Map([
        ['of', 7],
        ['to', 30],
      ]),
    });
  });

  it('still covers about a minute when scrapes come every half second, far more often than it keeps readings', async () => {
    const at = windowsAt({ minWindowMs: 60_000, maxReadings: 20 });
    let last: Awaited<ReturnType<CounterWindows['since']>> | undefined;
    for (let ms = 0; ms <= 180_000; ms += 500) last = await at(ms).since('k', counters(0, 100 + ms), 'to');
    expect(last?.kind).toBe('increase');
    const seconds = last?.kind === 'increase' ? last.seconds : 0;
    // The base is the newest kept reading at least a minute old; kept readings are ~3.3 s apart.
    expect(seconds).toBeGreaterThanOrEqual(60);
    expect(seconds).toBeLessThanOrEqual(64);
  });

  it('falls back to the totals when a counter went down (the target restarted), then starts again', async () => {
    const at = windowsAt({ minWindowMs: 0 });
    await at(0).since('k', counters(5, 100), 'to');
    expect(await at(10_000).since('k', counters(0, 3), 'to')).toEqual({
      kind: 'totals',
      why: 'the counters were reset since the previous scrape',
    });
    expect(await at(20_000).since('k', counters(1, 13), 'to')).toMatchObject({
      kind: 'increase',
      seconds: 10,
    });
  });

  it('treats a change in which counters there are (new bucket bounds) as a reset', async () => {
    const at = windowsAt({ minWindowMs: 0 });
    await at(0).since('k', new Map([['1', 5]]), '1');
    expect(await at(1000).since('k', new Map([['2', 9]]), '2')).toMatchObject({
      kind: 'totals',
    });
  });

  it('falls back to the totals when the denominator did not grow, and keeps the older baseline', async () => {
    const at = windowsAt({ minWindowMs: 0 });
    await at(0).since('k', counters(1, 100), 'to');
    expect(await at(30_000).since('k', counters(1, 100), 'to')).toEqual({
      kind: 'totals',
      why: 'nothing new was counted in the last 30 s',
    });
    expect(await at(40_000).since('k', counters(3, 104), 'to')).toMatchObject({
      kind: 'increase',
      counters: new Map([
        ['of', 2],
        ['to', 4],
      ]),
    });
  });

  it('keeps each check apart and forgets the check updated longest ago beyond its capacity', async () => {
    const at = windowsAt({ minWindowMs: 0, maxChecks: 2 });
    await at(0).since('a', counters(0, 1), 'to');
    await at(0).since('b', counters(0, 1), 'to');
    await at(0).since('c', counters(0, 1), 'to');
    expect(await at(1000).since('a', counters(0, 2), 'to')).toMatchObject({
      kind: 'totals',
      why: 'first scrape',
    });
    expect(await at(1000).since('c', counters(0, 2), 'to')).toMatchObject({ kind: 'increase' });
  });
});
