import {
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
} from '@slack/web-api';
import { describeError } from '../../../describe-error.js';

/** What to do after Slack did not take a message. */
export type Verdict =
  /** 429: wait Retry-After, then send the same message again. */
  | { kind: 'rate_limited'; retryAfterMs: number; reason: string }
  /** Slack or the network failed: back off and try again, for a while. */
  | { kind: 'transient'; reason: string }
  /** Slack said no for good (channel_not_found, invalid_blocks…): sending it again cannot help. */
  | { kind: 'permanent'; reason: string };

/** `{ ok: false }` answers that mean Slack is struggling, not that the message is wrong. */
const TRANSIENT_ERRORS = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
  'team_added_to_org',
]);

/** A message that refers to one that was never posted (its post failed or was withdrawn). */
export class ParentNotPosted extends Error {}

/** A canvas refresh claimed by a sender that was given no way to write canvases: it cannot succeed there. */
export class CanvasesNotKept extends Error {}

/** Sorts a failed Slack call into retry-after-wait, retry-with-backoff or give-up. */
export function classify(error: unknown): Verdict {
  if (error instanceof WebAPIRateLimitedError) {
    return {
      kind: 'rate_limited',
      retryAfterMs: error.retryAfter * 1000,
      reason: `rate limited (Retry-After: ${error.retryAfter} s)`,
    };
  }
  if (error instanceof WebAPIPlatformError) {
    const code = error.data.error;
    return TRANSIENT_ERRORS.has(code)
      ? { kind: 'transient', reason: code }
      : { kind: 'permanent', reason: code };
  }
  if (error instanceof WebAPIHTTPError) {
    const reason = `HTTP ${error.statusCode}`;
    return error.statusCode >= 500 || error.statusCode === 408
      ? { kind: 'transient', reason }
      : { kind: 'permanent', reason };
  }
  if (error instanceof ParentNotPosted || error instanceof CanvasesNotKept) {
    return { kind: 'permanent', reason: error.message };
  }
  if (error instanceof WebAPIRequestError)
    return { kind: 'transient', reason: describeError(error.original) };
  // A timeout, or a 429 without a usable Retry-After: back off.
  return { kind: 'transient', reason: describeError(error) };
}

/** `{ ok: false }` answers after which Slack says some of the operation may have succeeded. */
const PARTLY_DONE_ERRORS = new Set(['internal_error', 'fatal_error', 'request_timeout']);

/**
 * Whether Slack may have taken a message although the call failed: no answer came (a timeout, a dropped
 * connection), a 5xx or 408 did (a proxy may give one for a request Slack went on to handle), or Slack said it
 * failed partway. Its other `{ ok: false }` answers, 429s and failures before any request say it was not posted.
 */
export function mayHaveLanded(error: unknown): boolean {
  if (error instanceof WebAPIPlatformError) return PARTLY_DONE_ERRORS.has(error.data.error);
  if (error instanceof WebAPIRateLimitedError) return false;
  if (error instanceof ParentNotPosted || error instanceof CanvasesNotKept) return false;
  if (error instanceof WebAPIHTTPError) return error.statusCode >= 500 || error.statusCode === 408;
  return true;
}

/** Backoff after the `attempt`-th failure: doubling from `baseMs`, capped, jittered so replicas spread out. */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** Slack's own limit on posts to one channel. */
export const SLACK_CHANNEL_POST_INTERVAL_MS = 1_000;

/**
 * Which limit a 429 is about. Slack's answer does not say, so it is inferred: chat.update has only a
 * workspace-wide limit, and a post to a channel that had no post in the last second cannot have broken
 * the per-channel one, so it broke the workspace's. A canvas edit's limits (canvases.*) are not the
 * messages' own: it holds only its canvas's lane, and posts go on.
 */
export function rateLimitScope(
  kind: 'post' | 'update' | 'canvas',
  channelPostedLastSecond: boolean,
): 'channel' | 'workspace' {
  if (kind === 'canvas') return 'channel';
  return kind === 'post' && channelPostedLastSecond ? 'channel' : 'workspace';
}
