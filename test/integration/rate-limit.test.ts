import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ReadLimit, RequestLimiter } from '../../src/auth/rate-limit.js';
import { ConflictError } from '../../src/errors.js';
import { deleteKeys } from '../support/redis-keys.js';
import { queuePrefix, TEST_REDIS_URL } from '../support/test-env.js';

const prefix = queuePrefix('opsbot_rate');
const redis = new Redis(TEST_REDIS_URL);
afterAll(async () => {
  redis.disconnect();
  await deleteKeys(prefix);
});

/** 45 s into some minute of 2030. */
const AT = Date.UTC(2030, 0, 1, 9, 30, 45);

describe('RequestLimiter', () => {
  it('lets perMinute requests through a window, then says how long until it ends', async () => {
    const limiter = new RequestLimiter(redis, prefix, 2, 'window');
    expect(await limiter.wait('U0A', AT)).toBe(0);
    expect(await limiter.wait('U0A', AT + 1_000)).toBe(0);
    expect(await limiter.wait('U0A', AT + 5_000)).toBe(10_000);
    expect(await limiter.wait('U0B', AT + 5_000)).toBe(0);
    expect(await limiter.wait('U0A', AT + 15_000)).toBe(0);
  });

  it('keeps budgets apart: reads never use up the actions of the same user', async () => {
    const actions = new RequestLimiter(redis, prefix, 1);
    const reads = new ReadLimit(new RequestLimiter(redis, prefix, 3, 'reads'), 3);
    for (let i = 0; i < 3; i++) await reads.require('U0C', AT);
    const refused = reads.require('U0C', AT + 1_000);
    await expect(refused).rejects.toBeInstanceOf(ConflictError);
    await expect(refused).rejects.toThrow(
      /^You have run 3 read commands \(status, show, pods, logs, history, oncall, digest\) this minute; try again in 14 seconds\.$/,
    );
    expect(await actions.take('U0C', AT + 1_000)).toBe(true);
    expect(await actions.take('U0C', AT + 2_000)).toBe(false);
  });
});
