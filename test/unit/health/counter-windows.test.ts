import { describe, expect, it } from 'vitest';
import { CounterWindows } from '../../../src/health/counter-windows.js';

const reading = (at: number, of: number, to: number) => ({
  at,
  counters: new Map([
    ['of', of],
    ['to', to],
  ]),
});

describe('CounterWindows', () => {
  it('uses the totals on the first scrape, then the increase since the earlier scrape', () => {
    const windows = new CounterWindows({ minWindowMs: 60_000 });
    expect(windows.since('k', reading(0, 1, 100), 'to')).toEqual({ kind: 'totals', why: 'first scrape' });
    expect(windows.since('k', reading(90_000, 6, 150), 'to')).toEqual({
      kind: 'increase',
      seconds: 90,
      counters: new Map([
        ['of', 5],
        ['to', 50],
      ]),
    });
  });

  it('measures from the newest scrape at least the minimum window old, so close scrapes still cover a minute', () => {
    const windows = new CounterWindows({ minWindowMs: 60_000 });
    windows.since('k', reading(0, 0, 100), 'to');
    windows.since('k', reading(50_000, 0, 150), 'to'); // younger than a minute: measured from 0
    const window = windows.since('k', reading(70_000, 7, 170), 'to'); // 0 is the newest at least 60 s old
    expect(window).toMatchObject({ kind: 'increase', seconds: 70 });
    const next = windows.since('k', reading(120_000, 7, 180), 'to'); // now 50 s is
    expect(next).toMatchObject({
      kind: 'increase',
      seconds: 70,
      counters: new Map([
        ['of', 7],
        ['to', 30],
      ]),
    });
  });

  it('falls back to the totals when a counter went down (the target restarted), then starts again', () => {
    const windows = new CounterWindows({ minWindowMs: 0 });
    windows.since('k', reading(0, 5, 100), 'to');
    expect(windows.since('k', reading(10_000, 0, 3), 'to')).toEqual({
      kind: 'totals',
      why: 'the counters were reset since the previous scrape',
    });
    expect(windows.since('k', reading(20_000, 1, 13), 'to')).toMatchObject({ kind: 'increase', seconds: 10 });
  });

  it('treats a change in which counters there are (new bucket bounds) as a reset', () => {
    const windows = new CounterWindows({ minWindowMs: 0 });
    windows.since('k', { at: 0, counters: new Map([['1', 5]]) }, '1');
    expect(windows.since('k', { at: 1000, counters: new Map([['2', 9]]) }, '2')).toMatchObject({
      kind: 'totals',
    });
  });

  it('falls back to the totals when the denominator did not grow, and keeps the older baseline', () => {
    const windows = new CounterWindows({ minWindowMs: 0 });
    windows.since('k', reading(0, 1, 100), 'to');
    expect(windows.since('k', reading(30_000, 1, 100), 'to')).toEqual({
      kind: 'totals',
      why: 'nothing new was counted in the last 30 s',
    });
    expect(windows.since('k', reading(40_000, 3, 104), 'to')).toMatchObject({
      kind: 'increase',
      counters: new Map([
        ['of', 2],
        ['to', 4],
      ]),
    });
  });

  it('keeps each check apart and forgets the check updated longest ago beyond its capacity', () => {
    const windows = new CounterWindows({ minWindowMs: 0, maxChecks: 2 });
    windows.since('a', reading(0, 0, 1), 'to');
    windows.since('b', reading(0, 0, 1), 'to');
    windows.since('c', reading(0, 0, 1), 'to');
    expect(windows.since('a', reading(1000, 0, 2), 'to')).toMatchObject({
      kind: 'totals',
      why: 'first scrape',
    });
    expect(windows.since('c', reading(1000, 0, 2), 'to')).toMatchObject({ kind: 'increase' });
  });
});
