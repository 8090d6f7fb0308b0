import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, probePostgres } from '../../src/db/pool.js';
import { handle, InFlight } from '../../src/handlers/handle.js';
import { createLogger } from '../../src/log.js';
import { createOutages, type Outages } from '../../src/outages.js';
import { type PrivateServer, startPrivatePostgres } from '../support/private-servers.js';
import { quietMetrics } from '../support/quiet-metrics.js';

// opsbot's pool (one client, a caller waits 300 ms for it) on a PostgreSQL cluster of this file's own: first
// the client is held busy while PostgreSQL answers, then PostgreSQL is stopped. Wired as buildCore wires them:
// the outage's probe is a connection of its own, the pool watched by the outages.

const BUSY =
  'opsbot is busy right now (all its database connections are in use), so nothing was done; try again in a minute.';
const OUTAGE =
  'opsbot cannot reach its database (PostgreSQL) right now, so nothing was done; try again in a minute.';

interface LogLine {
  level: number;
  msg: string;
  poolSize?: number;
}
const lines: LogLine[] = [];
let server: PrivateServer;
let pool: pg.Pool;
let outages: Outages;
let deps: Parameters<typeof handle>[0];

beforeAll(async () => {
  server = await startPrivatePostgres();
  const log = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  outages = createOutages(log, { postgres: () => probePostgres(server.url), redis: async () => undefined });
  pool = createPool(server.url, log, 1, outages, 300);
  const metrics = quietMetrics();
  deps = { log, metrics, inFlight: new InFlight(), outages };
}, 30_000);
afterAll(async () => {
  await pool?.end();
  await server?.close();
});

/** A request whose work reads opsbot's database; resolves with what the person is told. */
async function request(): Promise<string> {
  const told: string[] = [];
  await handle(
    deps,
    'status',
    {},
    async (text) => told.push(text),
    async () => {
      await pool.query('SELECT 1');
    },
  );
  expect(told).toHaveLength(1);
  return told[0] as string;
}

const logged = (pattern: RegExp) => lines.filter((line) => pattern.test(line.msg));

describe("opsbot's own pool is busy, then PostgreSQL goes away", () => {
  it('tells people opsbot is busy, logs one busy episode with the pool size, and counts no outage', async () => {
    // The pool's one client is out, as a long statement holds it; PostgreSQL itself answers.
    const held = await pool.connect();
    const sleeping = held.query('SELECT pg_sleep(1)');
    for (let i = 0; i < 3; i += 1) expect(await request()).toContain(BUSY);
    // /readyz's check asks on a connection of its own, so a busy pool is still ready.
    await expect(probePostgres(server.url)).resolves.toBeUndefined();
    await sleeping;
    held.release();

    expect(outages.postgres.down).toBe(false);
    expect(logged(/unreachable/)).toEqual([]);
    expect(logged(/PostgreSQL pool is busy/).map((line) => line.poolSize)).toEqual([1]);
    expect(logged(/PostgreSQL pool has free connections again/)).toHaveLength(1);
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
  });

  it('still takes PostgreSQL stopped for an outage: the outage sentence, logged once', async () => {
    await server.stop();
    for (let i = 0; i < 3; i += 1) expect(await request()).toContain(OUTAGE);
    expect(outages.postgres.down).toBe(true);
    expect(logged(/PostgreSQL is unreachable/)).toHaveLength(1);
    expect(logged(/PostgreSQL pool is busy/)).toHaveLength(1);
  });
});
