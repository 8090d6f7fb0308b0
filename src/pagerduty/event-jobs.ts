interface Waiting {
  rowId: string;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Newly stored events, handed on (announced to the workers) once PagerDuty has its answers. While deliveries
 * are still waiting for their answer, stored events wait too (at most `maxWaitMs`), then go together, in one
 * call: a burst is answered before workers start on it and compete for the CPU, and a quiet endpoint hands
 * each event on as soon as it is answered.
 */
export class JobsAfterAnswers {
  private answering = 0;
  private waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly addAll: (eventRowIds: string[]) => Promise<void>,
    private readonly maxWaitMs = 100,
  ) {}

  /** A delivery arrived; its answer is not sent yet. */
  arrived(): void {
    this.answering += 1;
  }

  /** A delivery's answer is sent; when no other is waiting for one, the waiting events are queued. */
  answered(): void {
    this.answering = Math.max(0, this.answering - 1);
    if (this.answering === 0) this.flush();
  }

  /** Hands the event on once no answer is pending, or `maxWaitMs` from now at the latest. */
  add(eventRowId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ rowId: eventRowId, resolve, reject });
      if (this.answering === 0) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.maxWaitMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting.splice(0);
    if (batch.length === 0) return;
    this.addAll(batch.map((waiting) => waiting.rowId)).then(
      () => {
        for (const waiting of batch) waiting.resolve();
      },
      (error: unknown) => {
        for (const waiting of batch) waiting.reject(error);
      },
    );
  }
}
