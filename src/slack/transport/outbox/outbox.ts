import { UnavailableError } from '../../../errors.js';
import type { NewPost, OutboxMessage, OutboxOutcome } from './message.js';
import type { OutboxSignals } from './signals.js';
import type { OutboxStore } from './store.js';

/** How long `deliver` waits for Slack by default. */
const DELIVER_TIMEOUT_MS = 15_000;
/** How often a waiter looks at its message when no notification comes. */
const WAIT_POLL_MS = 1_000;

/** Slack refused the message (the reason is its error code, e.g. `not_in_channel`), or it was given up. */
export class MessageNotSent extends Error {
  constructor(readonly reason: string) {
    super(`Slack did not take the message: ${reason}.`);
    this.name = 'MessageNotSent';
  }
}

export interface SlackOutboxDeps {
  store: Pick<OutboxStore, 'enqueue' | 'outcome' | 'withdraw' | 'postedTs'>;
  signals: Pick<OutboxSignals, 'doneOrAfter'>;
  deliverTimeoutMs?: number;
}

/**
 * Every message opsbot posts or edits in a channel goes through here: it is stored, then sent by a worker
 * process's dispatcher, in order per channel, through 429s, 5xx and outages.
 */
export class SlackOutbox {
  private readonly timeoutMs: number;

  constructor(private readonly deps: SlackOutboxDeps) {
    this.timeoutMs = deps.deliverTimeoutMs ?? DELIVER_TIMEOUT_MS;
  }

  /** Queues a message; resolves once it is stored, whatever Slack's state. Returns its outbox id. */
  enqueue(message: OutboxMessage): Promise<string> {
    return this.deps.store.enqueue(message);
  }

  /**
   * Queues a message ahead of its channel's backlog (see OutboxStore.enqueue) and waits until Slack took
   * it; returns its ts. Throws MessageNotSent when Slack refused it, and UnavailableError when it was not
   * sent in time: it is then withdrawn, so it never appears late. A message that cannot be withdrawn (being
   * sent, or perhaps in Slack already: an earlier try's answer was lost) is waited for as long again; after
   * that it stays queued, and the UnavailableError says it may appear (once: its next try looks for it first).
   */
  async deliver(message: OutboxMessage): Promise<string> {
    const id = await this.deps.store.enqueue(message, true);
    let outcome = await this.waitFor(id, this.timeoutMs);
    const seconds = Math.round(this.timeoutMs / 1000);
    const lastLook = Date.now() + this.timeoutMs;
    while (outcome.state === 'pending') {
      if (await this.deps.store.withdraw(id)) {
        throw new UnavailableError(
          `Slack did not take the message within ${seconds} s, so it was not posted ` +
            '(Slack may be down, or no opsbot worker is running).',
        );
      }
      if (Date.now() >= lastLook) {
        throw new UnavailableError(
          `Slack has not confirmed the message within ${2 * seconds} s; it may be posted already, ` +
            'and if not it stays queued and appears once Slack answers (never twice).',
        );
      }
      outcome = await this.waitFor(id, WAIT_POLL_MS);
    }
    return sentTs(outcome);
  }

  /**
   * Queues a post ahead of its channel's backlog, like `deliver`, without waiting; `posted` waits for it.
   * Returns its outbox id.
   */
  queueAhead(post: NewPost): Promise<string> {
    return this.deps.store.enqueue(post, true);
  }

  /**
   * Waits as long as `deliver` for Slack to take a queued message: its ts, or undefined when Slack has not
   * taken it yet (it stays queued, and goes out once Slack answers). Throws MessageNotSent when Slack refused it.
   */
  async posted(id: string): Promise<string | undefined> {
    const outcome = await this.waitFor(id, this.timeoutMs);
    return outcome.state === 'pending' ? undefined : sentTs(outcome);
  }

  /** The ts of the post queued under `key` in `channel`, once Slack took it. */
  postedTs(channel: string, key: string): Promise<string | undefined> {
    return this.deps.store.postedTs(channel, key);
  }

  /** The message's outcome once it is done, or its pending state after `ms`. */
  private async waitFor(id: string, ms: number): Promise<OutboxOutcome> {
    const deadline = Date.now() + ms;
    for (;;) {
      const left = deadline - Date.now();
      // Listening before looking, so that a notification between the two is not missed.
      const signalled = this.deps.signals.doneOrAfter(id, Math.max(0, Math.min(left, WAIT_POLL_MS)));
      const outcome = await this.deps.store.outcome(id);
      if (outcome.state !== 'pending' || left <= 0) return outcome;
      await signalled;
    }
  }
}

/** A done message's ts; MessageNotSent when it was refused, given up or withdrawn. */
function sentTs(outcome: OutboxOutcome): string {
  if (outcome.state === 'sent' && outcome.ts) return outcome.ts;
  throw new MessageNotSent(outcome.error ?? outcome.state);
}
