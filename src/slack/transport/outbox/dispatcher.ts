import { retryWhilePostgresAway } from '../../../db/while-away.js';
import type { Logger } from '../../../log.js';
import { type Outages, warnUnlessOutage } from '../../../outages.js';
import type { FindPost } from './find-post.js';
import type { OutboxRow } from './message.js';
import {
  backoffMs,
  classify,
  mayHaveLanded,
  ParentNotPosted,
  SLACK_CHANNEL_POST_INTERVAL_MS,
} from './retry-policy.js';
import type { SendMessage } from './send.js';
import type { OutboxSignals } from './signals.js';
import type { OutboxStore, RetryOutcome } from './store.js';

/** The dispatcher's knobs; production uses the defaults, tests shrink the intervals. */
export interface DispatchTuning {
  /** Least time between two posts to one channel (Slack allows one message per second per channel). */
  postSpacingMs: number;
  /** Least time between two edits of one incident's canvas: changes in between are one edit. */
  canvasSpacingMs: number;
  /** How long a claim lasts: longer than one Slack call may take (the client times out after 10 s). */
  leaseMs: number;
  /** First backoff after a 5xx, network error or timeout; it doubles up to `retryCapMs`. */
  retryBaseMs: number;
  retryCapMs: number;
  /** A message still failing this long after it was queued is given up (and logged). */
  giveUpAfterMs: number;
  /** How often to look for work without a notification (holds ending, other processes' backoffs). */
  pollMs: number;
  /** Channels served at once by this process. */
  concurrency: number;
  /** How long sent and failed messages are kept. */
  keepDoneMs: number;
}

export const DEFAULT_DISPATCH_TUNING: DispatchTuning = {
  postSpacingMs: SLACK_CHANNEL_POST_INTERVAL_MS,
  canvasSpacingMs: 3_000,
  leaseMs: 30_000,
  retryBaseMs: 1_000,
  retryCapMs: 60_000,
  giveUpAfterMs: 60 * 60_000,
  pollMs: 1_000,
  concurrency: 8,
  keepDoneMs: 30 * 24 * 60 * 60_000,
};

const PRUNE_EVERY_MS = 60 * 60_000;

/** How one send ended: Slack took it, answered 429, failed in a way worth retrying, or failed for good. */
export type SendResult = 'sent' | 'rate_limited' | 'error' | 'failed';

export interface DispatcherDeps {
  store: OutboxStore;
  signals: Pick<OutboxSignals, 'onQueued'>;
  send: SendMessage;
  /** Looks for a post an earlier attempt may have made, before it is posted again. */
  findPost: FindPost;
  log: Logger;
  /** PostgreSQL's and Redis's outages: a poll failing on one is counted there, not logged each time. */
  outages?: Outages;
  tuning?: Partial<DispatchTuning>;
  /** Told how each send ended (for /metrics). */
  onSend?: (result: SendResult) => void;
}

/** A running dispatcher; stop lets the messages being sent finish. */
export interface Dispatcher {
  stop(): Promise<void>;
}

/**
 * Sends the outbox to Slack from a worker process: claims channel heads, sends each, records the result,
 * and looks again whenever a message is queued, a send ends, a wait it set runs out, or `pollMs` passes.
 */
export function startDispatcher(deps: DispatcherDeps): Dispatcher {
  const tuning = { ...DEFAULT_DISPATCH_TUNING, ...deps.tuning };
  const log = deps.log.child({ component: 'slack-outbox' });
  const inFlight = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  let wake: (() => void) | undefined;
  let prunedAt = 0;

  const nudge = () => wake?.();
  const nudgeAfter = (ms: number) => {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      nudge();
    }, ms);
    timers.add(timer);
  };
  const unsubscribe = deps.signals.onQueued(nudge);

  const report = (outcome: RetryOutcome, context: Record<string, unknown>, reason: string) => {
    if (outcome === 'given_up') {
      log.error({ ...context, reason }, 'gave up on a Slack message that kept failing; it will not be sent');
    } else if (outcome === 'retry') {
      log.warn({ ...context, reason }, 'Slack did not take a message; trying again');
    }
  };

  /**
   * The ts of the post when an earlier attempt turns out to have made it; undefined when it is not in Slack, or
   * cannot be looked for (opsbot may not read the channel's history: it is posted, perhaps twice, and said so).
   */
  const alreadyPosted = async (row: OutboxRow, parentTs: string | undefined, context: object) => {
    try {
      const ts = await deps.findPost(row, parentTs);
      if (ts)
        log.info({ ...context, ts }, 'Slack had taken a message whose answer was lost; not posting it again');
      return ts;
    } catch (error) {
      if (classify(error).kind !== 'permanent') throw error;
      log.warn(
        { ...context, err: error },
        'could not look for a message Slack may have taken already; posting it (it may appear twice)',
      );
      return undefined;
    }
  };

  const deliver = async (row: OutboxRow) => {
    const context = { outboxId: row.id, channel: row.channel, messageKey: row.key, attempt: row.attempts };
    // Whether Slack may hold the post when this attempt ends: as before it, until a lookup or a send says.
    let maybeSent = row.kind === 'post' && row.unsure;
    const post = async (parentTs: string | undefined) => {
      maybeSent = false;
      try {
        const ts = await deps.send(row, parentTs);
        deps.onSend?.('sent');
        return ts;
      } catch (error) {
        maybeSent = row.kind === 'post' && mayHaveLanded(error);
        throw error;
      }
    };
    try {
      const parentTs = await resolveParent(deps.store, row);
      const found = maybeSent ? await alreadyPosted(row, parentTs, context) : undefined;
      const ts = found ?? (await post(parentTs));
      if (!(await recordSent(deps.store, row, ts, tuning.leaseMs))) {
        log.warn(context, 'sent a Slack message whose claim had run out; another process may send it again');
      }
      if (row.kind === 'post') nudgeAfter(tuning.postSpacingMs);
      if (row.kind === 'canvas') nudgeAfter(tuning.canvasSpacingMs);
    } catch (error) {
      const verdict = classify(error);
      deps.onSend?.(
        verdict.kind === 'permanent' ? 'failed' : verdict.kind === 'rate_limited' ? 'rate_limited' : 'error',
      );
      if (verdict.kind === 'permanent') {
        await deps.store.failed(row, verdict.reason);
        log.error({ ...context, reason: verdict.reason }, 'Slack refused a message; it will not be sent');
      } else if (verdict.kind === 'rate_limited') {
        const held = await deps.store.rateLimited(
          row,
          verdict.retryAfterMs,
          verdict.reason,
          tuning.giveUpAfterMs,
          maybeSent,
        );
        report(
          held.outcome,
          { ...context, scope: held.scope, retryInMs: verdict.retryAfterMs },
          verdict.reason,
        );
        nudgeAfter(verdict.retryAfterMs);
      } else {
        const delay = backoffMs(row.attempts, tuning.retryBaseMs, tuning.retryCapMs);
        const outcome = await deps.store.retryLater(
          row,
          delay,
          verdict.reason,
          tuning.giveUpAfterMs,
          maybeSent,
        );
        report(outcome, { ...context, retryInMs: delay }, verdict.reason);
        nudgeAfter(delay);
      }
    }
  };

  const track = (row: OutboxRow) => {
    const sending: Promise<void> = deliver(row)
      .catch((error: unknown) =>
        // The database failed mid-way: the claim runs out and the message is tried again (if sent, twice).
        log.error(
          { err: error, outboxId: row.id },
          'could not record what became of a Slack message; it is tried again when its claim runs out',
        ),
      )
      .finally(() => {
        inFlight.delete(sending);
        nudge();
      });
    inFlight.add(sending);
  };

  const claimSome = async () => {
    const free = tuning.concurrency - inFlight.size;
    if (free <= 0) return;
    try {
      const claimed = await deps.store.claim(
        free,
        tuning.leaseMs,
        tuning.postSpacingMs,
        tuning.canvasSpacingMs,
      );
      for (const row of claimed) track(row);
      if (Date.now() - prunedAt > PRUNE_EVERY_MS) {
        prunedAt = Date.now();
        await deps.store.prune(tuning.keepDoneMs);
      }
    } catch (error) {
      warnUnlessOutage(
        deps.outages,
        log,
        error,
        'could not look for Slack messages to send; trying again shortly',
      );
    }
  };

  const loop = (async () => {
    while (!stopped) {
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      await claimSome();
      const poll = setTimeout(nudge, tuning.pollMs);
      await woken;
      clearTimeout(poll);
    }
    await Promise.allSettled([...inFlight]);
  })();

  return {
    async stop() {
      stopped = true;
      unsubscribe();
      nudge();
      await loop;
      for (const timer of timers) clearTimeout(timer);
    },
  };
}

/** The ts a message refers to: its thread or the message it edits, by ts or by the key it was posted with. */
async function resolveParent(store: OutboxStore, row: OutboxRow): Promise<string | undefined> {
  if (row.parent_ts) return row.parent_ts;
  if (!row.parent_key) return undefined;
  const ts = await store.postedTs(row.channel, row.parent_key);
  if (!ts) throw new ParentNotPosted(`the message ${row.parent_key} it refers to was not posted`);
  return ts;
}

/**
 * Records that Slack took the message, trying again while PostgreSQL cannot be reached (a restart): Slack has it,
 * so giving up here would let the claim run out and the message be sent twice. Tries until the claim has run
 * out twice over; false when another process had taken the claim.
 */
function recordSent(store: OutboxStore, row: OutboxRow, ts: string, leaseMs: number): Promise<boolean> {
  return retryWhilePostgresAway(() => store.sent(row, ts), 2 * leaseMs);
}
