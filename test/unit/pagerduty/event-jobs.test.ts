import { describe, expect, it, vi } from 'vitest';
import { JobsAfterAnswers } from '../../../src/pagerduty/event-jobs.js';

/** JobsAfterAnswers over a recorded addAll. */
function setUp(fail = false) {
  const added: string[][] = [];
  const jobs = new JobsAfterAnswers(async (rowIds) => {
    if (fail) throw new Error('Redis is away');
    added.push(rowIds);
  }, 100);
  return { jobs, added };
}

describe('JobsAfterAnswers', () => {
  it('queues an event at once when no delivery is waiting for its answer', async () => {
    const { jobs, added } = setUp();
    await jobs.add('1');
    expect(added).toEqual([['1']]);
  });

  it('holds the events of a burst until its last answer is sent, then queues them in one call', async () => {
    const { jobs, added } = setUp();
    for (let i = 0; i < 3; i += 1) jobs.arrived();
    jobs.answered();
    const first = jobs.add('1');
    jobs.answered();
    const second = jobs.add('2');
    expect(added).toEqual([]);
    jobs.answered();
    await Promise.all([first, second]);
    expect(added).toEqual([['1', '2']]);
  });

  it('holds them no longer than its bound while deliveries keep arriving', async () => {
    vi.useFakeTimers();
    try {
      const { jobs, added } = setUp();
      jobs.arrived();
      jobs.arrived();
      jobs.answered();
      const held = jobs.add('1');
      await vi.advanceTimersByTimeAsync(99);
      expect(added).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      await held;
      expect(added).toEqual([['1']]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("gives every event of a failed call the call's error", async () => {
    const { jobs } = setUp(true);
    jobs.arrived();
    const both = [jobs.add('1'), jobs.add('2')];
    jobs.answered();
    for (const result of await Promise.allSettled(both)) expect(result.status).toBe('rejected');
  });
});
