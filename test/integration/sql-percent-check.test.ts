import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthCheckSchema, runCheck } from '../../src/health/checks/registry.js';
import { createTestDatabase } from '../support/databases.js';
import { CounterWindows } from '../support/memory-counter-windows.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase('sql_percent');
  pool = new pg.Pool({ connectionString: database.url, connectionTimeoutMillis: 5000 });
  // Three of four slots taken.
  await pool.query(`CREATE TABLE slots (id int PRIMARY KEY, taken boolean NOT NULL);
    INSERT INTO slots VALUES (1, true), (2, true), (3, true), (4, false)`);
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

/** Runs a sql check on the test database with these fields, as parsed from ops.yml. */
function check(fields: Record<string, unknown>) {
  const config = HealthCheckSchema.parse({ type: 'sql', name: 'share', database: 'main', ...fields });
  return runCheck(config, { database: () => pool, windows: new CounterWindows() });
}

const TAKEN = 'SELECT count(*) FROM slots WHERE taken';
const ALL = 'SELECT count(*) FROM slots';

describe('sql check graded as a percentage of a second query', () => {
  it('grades DB connections as a percentage of max_connections, and says both numbers', async () => {
    const result = await check({
      query: 'SELECT count(*) FROM pg_stat_activity',
      percent_of: "SELECT setting::int FROM pg_settings WHERE name = 'max_connections'",
      unit: 'connections',
      warning: { above: 0 },
    });
    // At least this check's own connection is open, so any share is above 0 %: a warning.
    expect(result.level).toBe('warning');
    const [, used, max, percent] =
      /^(\d+) of (\d+) connections \((\d+(?:\.\d)?) %\)$/.exec(result.detail) ?? [];
    const { rows } = await pool.query<{ max_connections: string }>('SHOW max_connections');
    expect(Number(max)).toBe(Number(rows[0]?.max_connections));
    expect(Number(used)).toBeGreaterThan(0);
    expect(Number(percent)).toBe(Math.round((Number(used) / Number(max)) * 1000) / 10);
  });

  it('reads its levels as percentages, not as counts', async () => {
    const at = (warning: number, critical: number) =>
      check({ query: TAKEN, percent_of: ALL, warning: { above: warning }, critical: { above: critical } });
    expect(await at(80, 90)).toMatchObject({ level: 'ok', detail: '3 of 4 (75 %)' });
    expect(await at(70, 90)).toMatchObject({ level: 'warning', detail: '3 of 4 (75 %)' });
    expect(await at(50, 74)).toMatchObject({ level: 'critical', detail: '3 of 4 (75 %)' });
    // 3 is under 5, but 75 % is not.
    expect((await check({ query: TAKEN, percent_of: ALL, warning: { above: 5 } })).level).toBe('warning');
  });

  it('is critical when the second query returns no positive number', async () => {
    expect(
      await check({ query: TAKEN, percent_of: 'SELECT count(*) FROM slots WHERE id > 10' }),
    ).toMatchObject({
      level: 'critical',
      detail: 'the percent_of query returned 0, so no percentage of it can be taken',
    });
    expect(await check({ query: TAKEN, percent_of: "SELECT 'many'" })).toMatchObject({
      level: 'critical',
      detail: 'the percent_of query did not return one number',
    });
  });

  it('runs the second query read-only and within the check timeout', async () => {
    const write = await check({
      query: TAKEN,
      percent_of: 'INSERT INTO slots VALUES (5, false) RETURNING 5',
    });
    expect(write).toMatchObject({
      level: 'critical',
      detail: 'cannot execute INSERT in a read-only transaction',
    });
    expect((await pool.query(ALL)).rows[0]).toEqual({ count: '4' });
    const slow = await check({ query: TAKEN, percent_of: 'SELECT 4 FROM pg_sleep(5)', timeout: '300ms' });
    expect(slow).toMatchObject({ level: 'critical', detail: 'no answer within 300 ms' });
    // 200 ms each: each within 300 ms, but not both; the second has only what the first left.
    const both = await check({
      query: 'SELECT 3 FROM pg_sleep(0.2)',
      percent_of: 'SELECT 4 FROM pg_sleep(0.2)',
      timeout: '300ms',
    });
    expect(both).toMatchObject({ level: 'critical', detail: 'no answer within 300 ms' });
  });

  it('names its unit in the detail of a plain count too', async () => {
    expect(await check({ query: TAKEN, unit: 'slots taken' })).toMatchObject({
      level: 'ok',
      detail: '3 slots taken',
    });
  });
});
