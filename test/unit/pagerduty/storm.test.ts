import { describe, expect, it } from 'vitest';
import { place, STORM } from '../../../src/pagerduty/storm.js';

describe('place', () => {
  it('gives the first few incidents of a window cards of their own', () => {
    for (let own = 0; own < STORM.ownCards; own++) expect(place(undefined, own)).toEqual({ kind: 'own' });
  });

  it('starts a storm once the window has its own cards, and joins a running storm', () => {
    expect(place(undefined, STORM.ownCards)).toEqual({ kind: 'start', postedBefore: STORM.ownCards });
    expect(place('7', 0)).toEqual({ kind: 'join', stormId: '7' });
  });
});
