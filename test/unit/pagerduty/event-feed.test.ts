import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { PagerDutyFeed } from '../../../src/pagerduty/event-feed.js';
import { collectInto } from '../../support/collect.js';

/** The feed over unhandled rows in memory; `added` records each enqueue call. */
function setUp() {
  const unhandled: number[] = [];
  const added: string[][] = [];
  let failing = false;
  const log = createLogger('silent', collectInto([]));
  const feed = new PagerDutyFeed(
    {
      store: {
        async unhandledAfter(afterId, limit) {
          return unhandled
            .filter((id) => id > Number(afterId))
            .slice(0, limit)
            .map(String);
        },
      },
      async enqueue(rowIds) {
        if (failing) throw new Error('Redis is away');
        added.push(rowIds);
      },
      log,
    },
    60_000,
  );
  /** Wakes the feed and waits until its looks are over. */
  const wake = async () => {
    feed.wake();
    await feed.stop();
  };
  return { feed, unhandled, added, wake, fail: (on: boolean) => (failing = on) };
}

describe('PagerDutyFeed', () => {
  it('queues the unhandled events it has not queued yet, all of them in one call', async () => {
    const { unhandled, added, wake } = setUp();
    unhandled.push(1, 2);
    await wake();
    unhandled.push(3);
    await wake();
    expect(added).toEqual([['1', '2'], ['3']]);
  });

  it('reads a backlog page by page and queues it whole', async () => {
    const { unhandled, added, wake } = setUp();
    unhandled.push(...Array.from({ length: 1_234 }, (_, i) => i + 1));
    await wake();
    expect(added).toHaveLength(1);
    expect(added[0]).toHaveLength(1_234);
  });

  it('queues again what it could not queue, at its next look', async () => {
    const { unhandled, added, wake, fail } = setUp();
    unhandled.push(1);
    fail(true);
    await wake();
    fail(false);
    await wake();
    expect(added).toEqual([['1']]);
  });

  it('forgets handled events, and makes one more look when woken during a look', async () => {
    const { feed, unhandled, added } = setUp();
    unhandled.push(1);
    feed.wake();
    unhandled.splice(0, 1, 2);
    feed.wake();
    feed.wake();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await feed.stop();
    expect(added).toEqual([['1'], ['2']]);
  });
});
