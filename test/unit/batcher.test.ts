import { describe, expect, it } from 'vitest';
import { Batcher } from '../../src/batcher.js';

/** A batcher that records the batches it runs and answers each item with itself doubled. */
function recording(limits: { maxItems: number; concurrency: number }) {
  const batches: number[][] = [];
  const batcher = new Batcher<number, number>(async (items) => {
    batches.push(items);
    return items.map((item) => item * 2);
  }, limits);
  return { batcher, batches };
}

/** Resolves once the event loop has gone round (after this turn's I/O callbacks and immediates). */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('Batcher', () => {
  it('runs the items added in one turn of the event loop as one batch, the first one included', async () => {
    const { batcher, batches } = recording({ maxItems: 500, concurrency: 2 });
    const outputs = await Promise.all([1, 2, 3, 4, 5].map((item) => batcher.add(item)));
    expect(outputs).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1, 2, 3, 4, 5]]);
  });

  it('sends a batch as soon as it holds maxItems, without waiting for the end of the turn', async () => {
    const { batcher, batches } = recording({ maxItems: 2, concurrency: 4 });
    const pending = [1, 2, 3].map((item) => batcher.add(item));
    // Still in the turn that added them: the full batch is under way, the third item waits for the turn's end.
    expect(batches).toEqual([[1, 2]]);
    await Promise.all(pending);
    expect(batches).toEqual([[1, 2], [3]]);
  });

  it('runs at most `concurrency` batches at once; what arrives meanwhile goes together after', async () => {
    const releases: (() => void)[] = [];
    const batches: number[][] = [];
    const batcher = new Batcher<number, number>(
      (items) =>
        new Promise((resolve) => {
          batches.push(items);
          releases.push(() => resolve(items));
        }),
      { maxItems: 10, concurrency: 1 },
    );
    const first = batcher.add(1);
    await nextTurn();
    const rest = [2, 3].map((item) => batcher.add(item));
    await nextTurn();
    expect(batches).toEqual([[1]]);
    releases[0]?.();
    await first;
    await nextTurn();
    expect(batches).toEqual([[1], [2, 3]]);
    releases[1]?.();
    expect(await Promise.all(rest)).toEqual([2, 3]);
  });

  it('gives every item of a batch the error its run threw', async () => {
    const batcher = new Batcher<number, number>(
      async () => {
        throw new Error('refused');
      },
      { maxItems: 10, concurrency: 1 },
    );
    const results = await Promise.allSettled([1, 2].map((item) => batcher.add(item)));
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
  });
});
