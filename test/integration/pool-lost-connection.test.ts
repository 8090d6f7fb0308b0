import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/db/pool.js';
import { createLogger } from '../../src/log.js';
import { createTestDatabase } from '../support/databases.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let admin: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase('pool_lost');
  admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  await database?.drop();
});

describe("opsbot's PostgreSQL pools", () => {
  it('survive the loss of a connection they handed out while its holder is between statements', async () => {
    const pool = createPool(database.url, createLogger('silent'), 2);
    const client = await pool.connect();
    const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
    const ended = new Promise((resolve) => client.once('end', resolve));
    // What a PostgreSQL restart does to every connection (pg_ctl stop -m fast): without a listener of its own
    // the client's 'error' event would be unhandled, and end the process.
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
    await ended;
    await expect(client.query('SELECT 1')).rejects.toThrow(/not queryable|terminated/i);
    client.release(true);
    // The pool goes on with a new connection.
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await pool.end();
  });
});
