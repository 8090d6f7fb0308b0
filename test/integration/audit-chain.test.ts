import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type AuditEntry, AuditMisuseError, appendAudit, GENESIS_HASH } from '../../src/audit/audit-log.js';
import { recentAudit } from '../../src/audit/recent.js';
import { verifyAuditChain } from '../../src/audit/verify.js';
import { migrate } from '../../src/db/migrate.js';
import { withTransaction } from '../../src/db/transaction.js';
import { createTestDatabase } from '../support/databases.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Db {
  url: string;
  pool: pg.Pool;
}

const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A migrated throwaway database with a pool of 5; dropped in afterAll. */
async function freshDatabase(): Promise<Db> {
  const db = await createTestDatabase('opsbot_audit');
  const pool = new pg.Pool({ connectionString: db.url, max: 5 });
  cleanups.push(async () => {
    await pool.end();
    await db.drop();
  });
  await migrate(pool);
  return { url: db.url, pool };
}

async function append(pool: pg.Pool, entry: AuditEntry): Promise<void> {
  await withTransaction(pool, (client) => appendAudit(client, entry));
}

/** Appends `n` entries one after another; returns their ids in order. */
async function appendMany(pool: pg.Pool, n: number, actor = 'U0ALICE'): Promise<string[]> {
  for (let i = 0; i < n; i++) {
    await append(pool, {
      actor,
      event: 'test.entry',
      service: 'bentham',
      detail: { i, z: 'last', a: 'first' },
    });
  }
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM audit_log ORDER BY id');
  return rows.map((row) => row.id);
}

/** As the table's owner (or a superuser) could: edit the table with the append-only triggers off. */
async function tamper(pool: pg.Pool, sql: string, values: unknown[]): Promise<void> {
  await withTransaction(pool, async (client) => {
    await client.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
    const { rowCount } = await client.query(sql, values);
    expect(rowCount).toBe(1);
    await client.query('ALTER TABLE audit_log ENABLE TRIGGER USER');
  });
}

/** Runs the real `opsbot audit verify` against `url`; never rejects. */
async function cliVerify(url: string): Promise<{ code: number; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' };
  try {
    const { stdout, stderr } = await exec(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'audit', 'verify'],
      { cwd: ROOT, env },
    );
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, output: (failed.stdout ?? '') + (failed.stderr ?? '') };
  }
}

describe('audit chain', () => {
  it('starts empty and intact', async () => {
    const { pool } = await freshDatabase();
    expect(await verifyAuditChain(pool)).toEqual({ ok: true, entries: 0, head: GENESIS_HASH });
  });

  it('links every entry to the one before, also when appends race on several connections', async () => {
    const { pool } = await freshDatabase();
    await pool.query(
      `INSERT INTO action_runs (id, service, action, kind, risk, params, state, requested_by, channel_id)
       VALUES ('run_0123456789ab', 'bentham', 'retry', 'sql', 'medium', '{}', 'planned', 'U0ALICE', 'C0OPS')`,
    );
    await append(pool, {
      actor: 'U0ALICE',
      event: 'run.requested',
      runId: 'run_0123456789ab',
      service: 'bentham',
      action: 'retry',
      detail: { params: { study: 'study_abc' }, risk: 'medium', nested: { z: [3, 1, 2], a: { y: 1, b: 2 } } },
    });
    await append(pool, { actor: 'U0BOB', event: 'request.denied', service: 'bentham', detail: {} });
    await append(pool, { actor: 'U0BOB', event: 'role.granted' });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        append(pool, {
          actor: `U0USER${i}`,
          event: 'run.queued',
          runId: 'run_0123456789ab',
          service: 'bentham',
          action: 'retry',
          detail: { i, b: 'second', a: 'first', list: [i, 'x', { q: 1, p: 2 }] },
        }),
      ),
    );

    const { rows } = await pool.query<{ id: string; prev_hash: string; hash: string }>(
      'SELECT id, prev_hash, hash FROM audit_log ORDER BY id',
    );
    expect(rows).toHaveLength(23);
    expect(rows[0]?.prev_hash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]?.prev_hash).toBe(rows[i - 1]?.hash);
    expect(new Set(rows.map((row) => row.hash)).size).toBe(23);

    const report = await verifyAuditChain(pool);
    expect(report).toEqual({ ok: true, entries: 23, head: rows[22]?.hash });
    // Across batch boundaries too.
    expect(await verifyAuditChain(pool, { batchSize: 4 })).toEqual(report);
    expect(await verifyAuditChain(pool, { batchSize: 1 })).toEqual(report);
  });

  it('stores details so that they hash the same after jsonb has reordered them', async () => {
    const { pool } = await freshDatabase();
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue()), async (detail) => {
        await append(pool, { actor: 'U0ALICE', event: 'test.detail', detail });
      }),
      // A `__proto__` key (as JSON.parse makes one) once broke verification: always try it.
      { numRuns: 60, examples: [[JSON.parse('{"a":{"__proto__":true,"b":1},"__proto__":{"c":2}}')]] },
    );
    const report = await verifyAuditChain(pool);
    expect(report.ok).toBe(true);
    expect(report.ok && report.entries).toBe(60);
  });

  it('refuses to append outside a transaction, before writing anything', async () => {
    const { pool } = await freshDatabase();
    await expect(appendAudit(pool, { actor: 'U0ALICE', event: 'test.entry' })).rejects.toThrow(
      AuditMisuseError,
    );
    const client = await pool.connect();
    try {
      await expect(appendAudit(client, { actor: 'U0ALICE', event: 'test.entry' })).rejects.toThrow(
        /inside a transaction/,
      );
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await expect(appendAudit(client, { actor: 'U0ALICE', event: 'test.entry' })).rejects.toThrow(
        /READ COMMITTED/,
      );
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM audit_log');
    expect(rows[0].n).toBe(0);
  });

  it('refuses UPDATE, DELETE and TRUNCATE through ordinary SQL', async () => {
    const { pool } = await freshDatabase();
    const [first] = await appendMany(pool, 2);
    await expect(
      pool.query("UPDATE audit_log SET actor = 'U0MALLORY' WHERE id = $1", [first]),
    ).rejects.toThrow('audit_log is append-only');
    await expect(pool.query("UPDATE audit_log SET detail = '{}'")).rejects.toThrow(
      'audit_log is append-only',
    );
    await expect(pool.query('DELETE FROM audit_log WHERE id = $1', [first])).rejects.toThrow(
      'audit_log is append-only',
    );
    await expect(pool.query('TRUNCATE audit_log')).rejects.toThrow('audit_log is append-only');
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM audit_log WHERE actor = 'U0ALICE'");
    expect(rows[0].n).toBe(2);
    expect((await verifyAuditChain(pool)).ok).toBe(true);
  });

  it('opsbot audit verify: prints OK and exits 0 on an intact chain', async () => {
    const { url, pool } = await freshDatabase();
    await appendMany(pool, 5);
    const { code, output } = await cliVerify(url);
    expect(output).toContain('OK: 5 audit entries, chain intact.');
    expect(code).toBe(0);
  });

  it('opsbot audit verify: names an entry whose detail was changed behind the triggers, and exits 1', async () => {
    const { url, pool } = await freshDatabase();
    const ids = await appendMany(pool, 6);
    const target = ids[3]!;
    await tamper(pool, `UPDATE audit_log SET detail = jsonb_set(detail, '{i}', '99') WHERE id = $1`, [
      target,
    ]);
    const { code, output } = await cliVerify(url);
    expect(code).toBe(1);
    expect(output).toContain(`Audit chain broken at entry #${target} (`);
    expect(output).toContain('U0ALICE, test.entry): its hash does not match its contents.');
    expect(output).not.toContain('OK:');
    const report = await verifyAuditChain(pool, { batchSize: 2 });
    expect(report).toMatchObject({ ok: false, entry: { id: target }, intactBefore: 3 });
  });

  it('names an entry whose actor or time was changed', async () => {
    const { url, pool } = await freshDatabase();
    const ids = await appendMany(pool, 4);
    await tamper(pool, "UPDATE audit_log SET actor = 'U0MALLORY' WHERE id = $1", [ids[1]]);
    const { code, output } = await cliVerify(url);
    expect(code).toBe(1);
    expect(output).toContain(`entry #${ids[1]} (`);
    expect(output).toContain('U0MALLORY');

    const other = await freshDatabase();
    const otherIds = await appendMany(other.pool, 3);
    // One microsecond: below what a JS Date holds, still not what was hashed.
    await tamper(other.pool, "UPDATE audit_log SET at = at + interval '1 microsecond' WHERE id = $1", [
      otherIds[2],
    ]);
    expect(await verifyAuditChain(other.pool)).toMatchObject({
      ok: false,
      entry: { id: otherIds[2], at: null },
      problem: 'its hash does not match its contents',
    });
  });

  it('opsbot audit verify: after a middle entry is deleted, names the entry after it', async () => {
    const { url, pool } = await freshDatabase();
    const ids = await appendMany(pool, 7);
    await tamper(pool, 'DELETE FROM audit_log WHERE id = $1', [ids[3]]);
    const { code, output } = await cliVerify(url);
    expect(code).toBe(1);
    expect(output).toContain(`Audit chain broken at entry #${ids[4]} (`);
    expect(output).toContain(`its prev_hash does not match entry #${ids[2]}.`);
    // The same when the gap falls on a batch boundary.
    expect(await verifyAuditChain(pool, { batchSize: 3 })).toMatchObject({
      ok: false,
      entry: { id: ids[4] },
      problem: `its prev_hash does not match entry #${ids[2]}`,
    });
  });

  it('names the new first entry when the oldest entry is deleted', async () => {
    const { pool } = await freshDatabase();
    const ids = await appendMany(pool, 3);
    await tamper(pool, 'DELETE FROM audit_log WHERE id = $1', [ids[0]]);
    expect(await verifyAuditChain(pool)).toMatchObject({
      ok: false,
      entry: { id: ids[1] },
      problem: expect.stringContaining('not the start of the chain'),
    });
  });

  it('recentAudit: the newest entries first, as typed rows, n kept within 1..50', async () => {
    const { pool } = await freshDatabase();
    const ids = await appendMany(pool, 55);
    const three = await recentAudit(pool, 3);
    expect(three.map((row) => row.id)).toEqual(ids.slice(-3).reverse());
    expect(three[0]?.at).toBeInstanceOf(Date);
    expect(three[0]?.detail).toEqual({ i: 54, z: 'last', a: 'first' });
    expect(three[0]?.run_id).toBeNull();
    expect(await recentAudit(pool, 500)).toHaveLength(50);
    expect(await recentAudit(pool, 0)).toHaveLength(1);
    await expect(recentAudit(pool, 2.5)).rejects.toThrow(RangeError);
  });
});
