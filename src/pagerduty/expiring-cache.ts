/**
 * Values kept for `ttlMs` by key, loaded once however many ask at the same time. A load that fails keeps its
 * fallback for the same time, so a service that is down is not asked again on every decision.
 */
export class ExpiringCache<T> {
  private readonly kept = new Map<string, { value: T; at: number }>();
  private readonly pending = new Map<string, Promise<T>>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string, load: () => Promise<T>, fallback: (error: unknown) => T): Promise<T> {
    const cached = this.kept.get(key);
    if (cached && this.now() - cached.at < this.ttlMs) return Promise.resolve(cached.value);
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const loading = load()
      .catch(fallback)
      .then((value) => {
        this.kept.set(key, { value, at: this.now() });
        return value;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, loading);
    return loading;
  }
}
