import {
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
} from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  classify,
  mayHaveLanded,
  ParentNotPosted,
  rateLimitScope,
} from '../../../../../src/slack/transport/outbox/retry-policy.js';

describe('classify', () => {
  it('waits for Retry-After on a 429', () => {
    expect(classify(new WebAPIRateLimitedError(2))).toEqual({
      kind: 'rate_limited',
      retryAfterMs: 2000,
      reason: 'rate limited (Retry-After: 2 s)',
    });
  });

  it('retries 5xx, 408, network errors, timeouts and Slack saying it is struggling', () => {
    expect(classify(new WebAPIHTTPError(503, 'Service Unavailable', {}, '')).kind).toBe('transient');
    expect(classify(new WebAPIHTTPError(408, 'Request Timeout', {}, '')).kind).toBe('transient');
    expect(classify(new WebAPIRequestError(new Error('socket hang up')))).toEqual({
      kind: 'transient',
      reason: 'socket hang up',
    });
    expect(classify(new DOMException('The operation was aborted due to timeout', 'TimeoutError')).kind).toBe(
      'transient',
    );
    expect(classify(new WebAPIPlatformError({ ok: false, error: 'internal_error' })).kind).toBe('transient');
  });

  it('gives up at once on answers that another try cannot change', () => {
    for (const code of ['channel_not_found', 'not_in_channel', 'invalid_blocks', 'msg_too_long']) {
      expect(classify(new WebAPIPlatformError({ ok: false, error: code }))).toEqual({
        kind: 'permanent',
        reason: code,
      });
    }
    expect(classify(new WebAPIHTTPError(404, 'Not Found', {}, '')).kind).toBe('permanent');
    expect(classify(new ParentNotPosted('the message run:1 it refers to was not posted')).kind).toBe(
      'permanent',
    );
  });
});

describe('backoffMs', () => {
  it('doubles from the base up to the cap, with jitter between half and all of it', () => {
    expect([1, 2, 3, 4, 10].map((attempt) => backoffMs(attempt, 1000, 5000, () => 1))).toEqual([
      1000, 2000, 4000, 5000, 5000,
    ]);
    expect(backoffMs(3, 1000, 5000, () => 0)).toBe(2000);
  });
});

describe('rateLimitScope', () => {
  it('blames the channel only for a post that followed another post there within a second', () => {
    expect(rateLimitScope('post', true)).toBe('channel');
    expect(rateLimitScope('post', false)).toBe('workspace');
    expect(rateLimitScope('update', true)).toBe('workspace');
  });
});

describe('mayHaveLanded', () => {
  it('is true where no answer, or a 5xx or 408, came: Slack may have acted on the request all the same', () => {
    expect(mayHaveLanded(new WebAPIRequestError(new Error('socket hang up')))).toBe(true);
    expect(mayHaveLanded(new Error('timeout of 10000ms exceeded'))).toBe(true);
    expect(mayHaveLanded(new WebAPIHTTPError(504, 'Gateway Timeout', {}, ''))).toBe(true);
    expect(mayHaveLanded(new WebAPIHTTPError(408, 'Request Timeout', {}, ''))).toBe(true);
    expect(mayHaveLanded(new WebAPIPlatformError({ ok: false, error: 'internal_error' }))).toBe(true);
  });

  it('is false where Slack answered that it did not post: its own errors, a 429, a 4xx, or no request at all', () => {
    expect(mayHaveLanded(new WebAPIPlatformError({ ok: false, error: 'not_in_channel' }))).toBe(false);
    expect(mayHaveLanded(new WebAPIRateLimitedError(2))).toBe(false);
    expect(mayHaveLanded(new WebAPIHTTPError(400, 'Bad Request', {}, ''))).toBe(false);
    expect(mayHaveLanded(new ParentNotPosted('never posted'))).toBe(false);
  });
});
