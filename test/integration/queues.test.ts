import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { ACTIONS_QUEUE, addJob, createQueue, createWorker, PAGERDUTY_QUEUE } from '../../src/queue/queues.js';
import { startSchedule } from '../../src/queue/schedule.js';
import { eventually } from '../support/databases.js';
import { deleteKeys } from '../support/redis-keys.js';
import { queuePrefix, TEST_REDIS_URL } from '../support/test-env.js';

const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
const log = createLogger('silent');
const prefixes: string[] = [];
const closers: (() => Promise<unknown>)[] = [];

/** A fresh prefix per test, so no test sees what another left behind. */
function fresh(): string {
  const prefix = queuePrefix('opsbot_queues');
  prefixes.push(prefix);
  return prefix;
}

function closing<T extends { close(): Promise<unknown> }>(thing: T): T {
  closers.push(() => thing.close());
  return thing;
}

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(async () => {
  redis.disconnect();
  for (const prefix of prefixes) await deleteKeys(prefix);
});

describe('the queue map', () => {
  it('adds a job with the options of its kind and the job id given', async () => {
    const queue = closing(createQueue(ACTIONS_QUEUE, { connection: redis, prefix: fresh(), log }));
    await addJob(queue, 'run', { runId: 'run_0123456789ab' }, { jobId: 'run_0123456789ab' });
    const job = await queue.getJob('run_0123456789ab');
    expect(job?.name).toBe('run');
    expect(job?.data).toEqual({ runId: 'run_0123456789ab' });
    expect(job?.opts).toMatchObject({
      attempts: 1,
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 5000 },
    });
  });

  it('refuses data its kind does not accept, and adds nothing', async () => {
    const queue = closing(createQueue(ACTIONS_QUEUE, { connection: redis, prefix: fresh(), log }));
    await expect(addJob(queue, 'run', { runId: 'not-a-run-id' })).rejects.toThrow();
    expect(await queue.getJobCountByTypes('waiting', 'delayed', 'prioritized')).toBe(0);
  });

  it('hands each job to the handler of its name, and fails a job of a name it does not have without retrying', async () => {
    const prefix = fresh();
    const queue = closing(createQueue(PAGERDUTY_QUEUE, { connection: redis, prefix, log }));
    const seen: string[] = [];
    const consumer = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    closers.push(async () => consumer.disconnect());
    closing(
      createWorker(
        PAGERDUTY_QUEUE,
        {
          event: async ({ eventRowId }) => {
            seen.push(`event ${eventRowId}`);
          },
          'storm-edit': async ({ stormId }) => {
            seen.push(`storm ${stormId}`);
          },
        },
        { connection: consumer, prefix, log },
      ),
    );
    await addJob(queue, 'event', { eventRowId: '7' }, { jobId: 'pd-event-7' });
    await addJob(queue, 'storm-edit', { stormId: '3' }, { jobId: 'pd-storm-3-x' });
    // A job no producer of ours makes: added behind the map's back, as an old release might have.
    const raw = closing(new Queue(PAGERDUTY_QUEUE, { connection: redis, prefix }));
    await raw.add('unknown', { eventRowId: '9' }, { jobId: 'stray', attempts: 5 });
    await eventually(async () => expect(await raw.getJobState('stray')).toBe('failed'));
    await eventually(() => expect(seen.sort()).toEqual(['event 7', 'storm 3']));
    expect((await raw.getJob('stray'))?.attemptsMade).toBe(1);
  });
});

describe('the scheduled-job helper', () => {
  it('upserts an interval scheduler whose first job is one interval away, and removes it when turned off', async () => {
    const prefix = fresh();
    const wiring = { producer: redis, consumer: redis, prefix, log };
    const before = Date.now();
    const stop = await startSchedule(
      'ops-health-probe',
      { 'health-probe': { repeat: { every: 3_600_000 }, data: {}, run: async () => undefined } },
      wiring,
    );
    closers.push(stop);
    const queue = closing(new Queue('ops-health-probe', { connection: redis, prefix }));
    const scheduler = await queue.getJobScheduler('health-probe');
    expect(scheduler).toMatchObject({ name: 'health-probe', every: 3_600_000 });
    expect(scheduler?.next).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(scheduler?.template?.opts).toMatchObject({ attempts: 1, removeOnFail: { count: 100 } });
    await eventually(async () => expect(await queue.getWorkersCount()).toBe(1));
    await stop();

    const off = await startSchedule(
      'ops-health-probe',
      { 'health-probe': { repeat: null, data: {}, run: async () => undefined } },
      wiring,
    );
    expect(await queue.getJobScheduler('health-probe')).toBeUndefined();
    expect(await queue.getWorkersCount()).toBe(0);
    await off();
  });

  it('upserts a cron scheduler in its time zone with the data of its job', async () => {
    const prefix = fresh();
    const stop = await startSchedule(
      'ops-digest',
      {
        'digest-daily': {
          repeat: { pattern: '0 0 8 * * 1-5', tz: 'Europe/London' },
          data: { schedule: 'daily' },
          run: async () => undefined,
        },
        'digest-weekly': { repeat: null, data: { schedule: 'weekly' }, run: async () => undefined },
      },
      { producer: redis, consumer: redis, prefix, log },
    );
    closers.push(stop);
    const queue = closing(new Queue('ops-digest', { connection: redis, prefix }));
    expect(await queue.getJobScheduler('digest-daily')).toMatchObject({
      pattern: '0 0 8 * * 1-5',
      tz: 'Europe/London',
      template: { data: { schedule: 'daily' } },
    });
    expect(await queue.getJobScheduler('digest-weekly')).toBeUndefined();
  });
});
