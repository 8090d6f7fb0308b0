interface Pending<I, O> {
  item: I;
  resolve(output: O): void;
  reject(error: unknown): void;
}

/**
 * Hands `run` the items that arrived while earlier batches were under way, together. At rest an item goes
 * alone and at once (no timer, no added wait); under a burst, hundreds share one statement and one commit.
 * `run` returns one output per item, in order; when it throws, every item of its batch gets the error.
 */
export class Batcher<I, O> {
  private readonly waiting: Pending<I, O>[] = [];
  private running = 0;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly limits: { maxItems: number; concurrency: number },
  ) {}

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.next();
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
