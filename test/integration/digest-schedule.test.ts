import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { startDigestSchedule } from '../../src/digest/schedule.js';
import { UserError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { deleteKeys } from '../support/redis-keys.js';
import { queuePrefix, TEST_REDIS_URL } from '../support/test-env.js';

const prefix = queuePrefix('opsbot_digest');
const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
afterAll(async () => {
  redis.disconnect();
  await deleteKeys(prefix);
});

const start = (patterns: Record<string, string>, tz = 'Europe/London') =>
  startDigestSchedule({
    producer: redis,
    consumer: redis,
    prefix,
    patterns,
    tz,
    post: async () => true,
    log: createLogger('silent'),
  });

describe('the digest schedule', () => {
  it('refuses a pattern BullMQ cannot read, naming the ops.yml key', async () => {
    const refused = start({ weekly: 'every monday' });
    await expect(refused).rejects.toBeInstanceOf(UserError);
    await expect(start({ daily: 'every monday' })).rejects.toThrow(
      /ops\.yml digest\.schedule "every monday"/,
    );
  });

  it('refuses a time zone that does not exist', async () => {
    await expect(start({ daily: '0 8 * * *' }, 'Mars/Base')).rejects.toThrow(/Mars\/Base/);
  });
});
