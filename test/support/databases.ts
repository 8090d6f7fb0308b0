import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { TEST_DATABASE_URL, testDatabaseUrl } from './test-env.js';

/**
 * A fresh database for one test file, dropped afterwards; parallel runs never share one. `server` is the
 * database to connect to for creating it (a private server a test stops and starts), by default the tests'.
 */
export async function createTestDatabase(
  prefix: string,
  server = TEST_DATABASE_URL,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: testDatabaseUrl(name, server),
    async drop() {
      const client = new pg.Client({ connectionString: server });
      await client.connect();
      // A pool's end() resolves before its sockets have closed: give them a moment, so that FORCE does not
      // terminate a connection whose client has no error listener any more (an unhandled 57P01).
      for (let i = 0; i < 40; i++) {
        const { rows } = await client.query(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
          [name],
        );
        if (rows[0].n === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** Polls until `check` passes (returns without throwing); for effects that happen after Slack's ack. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
