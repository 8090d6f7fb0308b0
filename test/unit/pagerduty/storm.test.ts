import { describe, expect, it } from 'vitest';
import { place } from '../../../src/pagerduty/storm.js';

describe('place', () => {
  it('gives the first `threshold` incidents of a window cards of their own', () => {
    for (let own = 0; own < 3; own++) expect(place(undefined, own, 3)).toEqual({ kind: 'own' });
    expect(place(undefined, 9, 10)).toEqual({ kind: 'own' });
  });

  it('starts a storm once the window has its own cards, and joins a running storm', () => {
    expect(place(undefined, 3, 3)).toEqual({ kind: 'start', postedBefore: 3 });
    expect(place(undefined, 1, 1)).toEqual({ kind: 'start', postedBefore: 1 });
    expect(place('7', 0, 3)).toEqual({ kind: 'join', stormId: '7' });
  });
});
