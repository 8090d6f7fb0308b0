import { describe, expect, it } from 'vitest';
import type { HealthLevel } from '../../../src/health/levels.js';
import {
  firstObservation,
  type HealthTransition,
  observe,
  RECOVERY_PROBES,
  type RecordedHealth,
} from '../../../src/health/transitions.js';

const minute = (n: number) => new Date(Date.UTC(2025, 0, 2, 3, n));

/** Feeds one probe per minute (starting at minute 1) after a first probe at minute 0; returns the transitions. */
function run(
  first: HealthLevel,
  levels: HealthLevel[],
): { transitions: HealthTransition[]; last: RecordedHealth } {
  const start = firstObservation(first, minute(0));
  const transitions = start.transition ? [start.transition] : [];
  let recorded = start.next;
  levels.forEach((level, i) => {
    const observed = observe(recorded, level, minute(i + 1));
    if (!observed) throw new Error('a newer probe was treated as stale');
    if (observed.transition) transitions.push(observed.transition);
    recorded = observed.next;
  });
  return { transitions, last: recorded };
}

describe('health transitions', () => {
  it('records a first probe that is ok without a transition, and one that is not ok with one', () => {
    expect(firstObservation('ok', minute(0)).transition).toBeUndefined();
    expect(firstObservation('critical', minute(0)).transition).toEqual({
      from: null,
      to: 'critical',
      at: minute(0),
      unhealthySince: null,
    });
  });

  it('makes no transition while the level stays the same', () => {
    expect(run('ok', ['ok', 'ok', 'ok']).transitions).toEqual([]);
    expect(run('critical', ['critical', 'critical']).transitions).toHaveLength(1);
  });

  it('records a worse level at once', () => {
    const { transitions, last } = run('ok', ['warning', 'critical']);
    expect(transitions.map(({ from, to }) => [from, to])).toEqual([
      ['ok', 'warning'],
      ['warning', 'critical'],
    ]);
    expect(last).toMatchObject({ level: 'critical', since: minute(2), unhealthySince: minute(1) });
  });

  it(`records a recovery only after ${RECOVERY_PROBES} better probes in a row, with how long it was unhealthy`, () => {
    const { transitions, last } = run('ok', ['critical', 'ok', 'critical', 'ok', 'ok']);
    expect(transitions).toEqual([
      { from: 'ok', to: 'critical', at: minute(1), unhealthySince: null },
      { from: 'critical', to: 'ok', at: minute(5), unhealthySince: minute(1) },
    ]);
    expect(last).toMatchObject({ level: 'ok', unhealthySince: null, betterLevel: null, betterCount: 0 });
  });

  it('recovers to the worst level of the better probes', () => {
    const { transitions } = run('critical', ['warning', 'ok', 'ok', 'ok']);
    expect(transitions.map(({ from, to }) => [from, to])).toEqual([
      [null, 'critical'],
      ['critical', 'warning'],
      ['warning', 'ok'],
    ]);
    expect(transitions[2]?.unhealthySince).toEqual(minute(0));
  });

  it('restarts the count of better probes when one sees the recorded level again', () => {
    expect(run('ok', ['critical', 'ok', 'critical', 'ok']).transitions).toHaveLength(1);
  });

  it('ignores a probe that started before the one recorded last', () => {
    const { last } = run('ok', ['critical']);
    expect(observe(last, 'ok', minute(0))).toBeUndefined();
    expect(observe(last, 'ok', minute(1))).toBeUndefined();
  });
});
