import type { Logger } from '../log.js';
import { type Outages, warnUnlessOutage } from '../outages.js';
import type { WebhookStore } from './webhook-store.js';

/** Unhandled events read per query; a look reads them all, page by page. */
const PAGE = 500;

export interface FeedDeps {
  store: Pick<WebhookStore, 'unhandledAfter'>;
  /** Adds the jobs of these stored events, in one round trip to Redis. */
  enqueue(eventRowIds: string[]): Promise<void>;
  log: Logger;
  outages?: Outages;
}

/**
 * Gives stored PagerDuty events their jobs, in the worker: web processes only store events and answer, then
 * announce it (a notification); the feed then looks for unhandled events it has not queued yet and adds their
 * jobs together. It also looks every `everyMs`, for an announcement lost while its connection was away; the
 * PagerDuty sweep stays the safety net for jobs that failed or vanished. One look at a time; an announcement
 * during a look makes one more.
 */
export class PagerDutyFeed {
  /** Unhandled events whose jobs this process added; forgotten once handled. */
  private queued = new Set<string>();
  private looking: Promise<void> | undefined;
  private again = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly deps: FeedDeps,
    everyMs = 5_000,
  ) {
    this.timer = setInterval(() => this.wake(), everyMs);
    this.timer.unref();
  }

  /** Events were stored (or may have been): looks now, or once more after the look under way. */
  wake(): void {
    if (this.looking) {
      this.again = true;
      return;
    }
    this.looking = this.look()
      .catch((error: unknown) =>
        warnUnlessOutage(this.deps.outages, this.deps.log, error, 'could not queue stored PagerDuty events'),
      )
      .finally(() => {
        this.looking = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.again = false;
    await this.looking;
  }

  private async look(): Promise<void> {
    const unhandled: string[] = [];
    for (let after = '0'; ; ) {
      const page = await this.deps.store.unhandledAfter(after, PAGE);
      unhandled.push(...page);
      if (page.length < PAGE) break;
      after = page[page.length - 1] as string;
    }
    const fresh = unhandled.filter((rowId) => !this.queued.has(rowId));
    if (fresh.length > 0) await this.deps.enqueue(fresh);
    this.queued = new Set(unhandled);
  }
}
