import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isStatementTimeout,
  previewRows,
  setStatementTimeout,
  timedTransaction,
} from '../../src/db/target-sql.js';
import { createTestDatabase } from '../support/databases.js';

let target: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;

beforeAll(async () => {
  target = await createTestDatabase('target_sql');
  pool = new pg.Pool({ connectionString: target.url, max: 2 });
  await pool.query(`CREATE TABLE files (id int PRIMARY KEY, body bytea, seen timestamptz)`);
  await pool.query(
    `INSERT INTO files SELECT n, decode('cafe', 'hex'), '2026-11-23T07:00:00Z' FROM generate_series(1, 30) AS n`,
  );
});
afterAll(async () => {
  await pool?.end();
  await target?.drop();
});

describe('timedTransaction', () => {
  it('stops a statement at its timeout, rolls back, and throws the error given for it', async () => {
    const slow = timedTransaction(
      pool,
      { timeoutMs: 50, timedOut: () => new Error('stopped after 50 ms') },
      async (client) => {
        await client.query('UPDATE files SET seen = now() WHERE id = 1');
        await client.query('SELECT pg_sleep(5)');
      },
    );
    await expect(slow).rejects.toThrow('stopped after 50 ms');
    const { rows } = await pool.query('SELECT seen FROM files WHERE id = 1');
    expect(rows[0]?.seen.toISOString()).toBe('2026-11-23T07:00:00.000Z');
  });

  it("throws the database's own error when no other is given, which isStatementTimeout recognises", async () => {
    const error = await timedTransaction(pool, { timeoutMs: 50 }, (client) =>
      client.query('SELECT pg_sleep(5)'),
    ).catch((caught: unknown) => caught);
    expect(isStatementTimeout(error)).toBe(true);
    expect(isStatementTimeout(new Error('other'))).toBe(false);
    expect(isStatementTimeout(null)).toBe(false);
  });

  it('refuses writes in a read-only transaction, and leaves the timeout of the connection as it was', async () => {
    await expect(
      timedTransaction(pool, { timeoutMs: 1000, begin: 'BEGIN READ ONLY' }, (client) =>
        client.query('DELETE FROM files'),
      ),
    ).rejects.toThrow(/read-only transaction/);
    const single = new pg.Pool({ connectionString: target.url, max: 1 });
    try {
      const before = (await single.query('SHOW statement_timeout')).rows[0]?.statement_timeout;
      await timedTransaction(single, { timeoutMs: 1234 }, async (client) => {
        expect((await client.query('SHOW statement_timeout')).rows[0]?.statement_timeout).toBe('1234ms');
      });
      expect((await single.query('SHOW statement_timeout')).rows[0]?.statement_timeout).toBe(before);
    } finally {
      await single.end();
    }
  });
});

describe('setStatementTimeout', () => {
  it('sets the timeout for the rest of the session when asked to, until it is reset', async () => {
    const client = await pool.connect();
    try {
      await setStatementTimeout(client, 4321, 'session');
      expect((await client.query('SHOW statement_timeout')).rows[0]?.statement_timeout).toBe('4321ms');
    } finally {
      await client.query('RESET statement_timeout');
      client.release();
    }
  });
});

describe('previewRows', () => {
  it('shows at most maxRows rows as text, counts them all, and drops trailing semicolons', async () => {
    const table = await timedTransaction(pool, { timeoutMs: 1000, begin: 'BEGIN READ ONLY' }, (client) =>
      previewRows(
        client,
        { text: 'SELECT id, body, seen FROM files WHERE id > $1 ORDER BY id;; ', values: [5] },
        3,
      ),
    );
    expect(table).toEqual({
      columns: ['id', 'body', 'seen'],
      rows: [
        ['6', '\\xcafe', '2026-11-23T07:00:00.000Z'],
        ['7', '\\xcafe', '2026-11-23T07:00:00.000Z'],
        ['8', '\\xcafe', '2026-11-23T07:00:00.000Z'],
      ],
      total: 25,
    });
  });

  it('counts none when nothing matches', async () => {
    const table = await timedTransaction(pool, { timeoutMs: 1000 }, (client) =>
      previewRows(client, { text: 'SELECT id FROM files WHERE id < 0', values: [] }, 20),
    );
    expect(table).toEqual({ columns: ['id'], rows: [], total: 0 });
  });
});
