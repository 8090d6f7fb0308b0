interface Pending<I, O> {
  item: I;
  resolve(output: O): void;
  reject(error: unknown): void;
}

/**
 * Hands `run` the items that arrived in the same turn of the event loop, together, and those that arrived
 * while earlier batches were under way. At rest an item goes alone at the end of its turn (no timer). Under
 * a burst, the requests read in one turn share one statement and one commit; a batch goes as soon as it holds
 * `maxItems`, so PostgreSQL stores it while the rest of the burst is still being read. `run` returns one
 * output per item, in order; when it throws, every item of its batch gets the error.
 */
export class Batcher<I, O> {
  private readonly waiting: Pending<I, O>[] = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly limits: { maxItems: number; concurrency: number },
  ) {}

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.waiting.length >= this.limits.maxItems) this.next();
      else if (!this.scheduled) {
        this.scheduled = true;
        // After the I/O callbacks of this turn: every request read with this one joins its batch.
        setImmediate(() => {
          this.scheduled = false;
          this.next();
        });
      }
    });
  }

  private next(): void {
    while (this.running < this.limits.concurrency && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.limits.maxItems);
      this.running += 1;
      this.run(batch.map((pending) => pending.item))
        .then(
          (outputs) => {
            batch.forEach((pending, i) => {
              pending.resolve(outputs[i] as O);
            });
          },
          (error: unknown) => {
            for (const pending of batch) pending.reject(error);
          },
        )
        .finally(() => {
          this.running -= 1;
          this.next();
        });
    }
  }
}
