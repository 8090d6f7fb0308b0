import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { PostgresCounterWindows } from '../../src/health/postgres-counter-windows.js';
import { createTestDatabase } from '../support/databases.js';

let own: Awaited<ReturnType<typeof createTestDatabase>>;
/** Two pools on one database: two opsbot processes. */
let first: pg.Pool;
let second: pg.Pool;

beforeAll(async () => {
  own = await createTestDatabase('opsbot_windows');
  first = new pg.Pool({ connectionString: own.url, max: 5 });
  second = new pg.Pool({ connectionString: own.url, max: 5 });
  await migrate(first);
});

afterAll(async () => {
  await first?.end();
  await second?.end();
  await own?.drop();
});

beforeEach(async () => {
  await first.query('DELETE FROM counter_windows');
});

const counters = (of: number, to: number) =>
  new Map([
    ['of', of],
    ['to', to],
  ]);

describe('PostgresCounterWindows', () => {
  it('measures one process’s scrape from another process’s earlier one, by the database’s clock', async () => {
    const web = new PostgresCounterWindows(first, { minWindowMs: 0 });
    const worker = new PostgresCounterWindows(second, { minWindowMs: 0 });
    expect(await web.since('k', counters(1, 100), 'to')).toEqual({ kind: 'totals', why: 'first scrape' });
    expect(await worker.since('k', counters(6, 150), 'to')).toEqual({
      kind: 'increase',
      seconds: 1,
      ms: expect.any(Number),
      counters: counters(5, 50),
    });
    expect(await web.since('k', counters(0, 3), 'to')).toEqual({
      kind: 'totals',
      why: 'the counters were reset since the previous scrape',
    });
  });

  it('takes scrapes of one check by two processes at once one after the other', async () => {
    const stores = [first, second].map((pool) => new PostgresCounterWindows(pool));
    const windows = await Promise.all(
      Array.from({ length: 10 }, (_, i) => stores[i % 2]?.since('k', counters(0, 100 + i), 'to')),
    );
    // Under the row lock only the first sees no earlier reading; unlocked, several would.
    expect(windows.filter((w) => w?.kind === 'totals' && w.why === 'first scrape')).toHaveLength(1);
    // Readings seconds apart replace each other: the first (the future base) and the newest are kept.
    const { rows } = await first.query('SELECT jsonb_array_length(readings) AS kept FROM counter_windows');
    expect(rows).toEqual([{ kept: 2 }]);
  });

  it('keeps counters that JSON has no number for, and a hash of the check, not its URL', async () => {
    const windows = new PostgresCounterWindows(first, { minWindowMs: 0 });
    const key = JSON.stringify(['http://user:secret@metrics.example/metrics']);
    await windows.since(key, new Map([['+Inf', Number.POSITIVE_INFINITY]]), '+Inf');
    expect(await windows.since(key, new Map([['+Inf', 5]]), '+Inf')).toMatchObject({
      kind: 'totals',
      why: 'the counters were reset since the previous scrape',
    });
    const { rows } = await first.query('SELECT check_key FROM counter_windows');
    expect(rows[0]?.check_key).toMatch(/^[0-9a-f]{64}$/);
  });

  it('forgets the checks scraped longest ago beyond its capacity', async () => {
    const windows = new PostgresCounterWindows(first, { minWindowMs: 0, maxChecks: 2 });
    for (const key of ['a', 'b', 'c']) await windows.since(key, counters(0, 1), 'to');
    const { rows } = await first.query('SELECT count(*)::int AS checks FROM counter_windows');
    expect(rows).toEqual([{ checks: 2 }]);
    expect(await windows.since('a', counters(0, 2), 'to')).toMatchObject({ why: 'first scrape' });
    expect(await windows.since('c', counters(0, 2), 'to')).toMatchObject({ kind: 'increase' });
  });
});
