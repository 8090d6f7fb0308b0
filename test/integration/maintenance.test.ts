import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type MaintenanceAction,
  MaintenanceSchema,
  maintenanceKind,
  quoteTable,
} from '../../src/actions/maintenance.js';
import type { ParamValues } from '../../src/actions/params.js';
import { ActionConfigSchema } from '../../src/actions/registry.js';
import type { ActionContext } from '../../src/actions/types.js';
import { crossCheck } from '../../src/config/ops-config.js';
import { testContext } from '../support/action-context.js';
import { createTestDatabase } from '../support/databases.js';

let target: { url: string; drop(): Promise<void> };
let pool: pg.Pool;
let other: pg.Pool;

beforeAll(async () => {
  target = await createTestDatabase('maint_test');
  // One connection, so a statement timeout left behind by the kind would be seen by the next query.
  pool = new pg.Pool({ connectionString: target.url, max: 1 });
  other = new pg.Pool({ connectionString: target.url, max: 2 });
});
afterAll(async () => {
  await pool?.end();
  await other?.end();
  await target?.drop();
});

function config(fields: Record<string, unknown> = {}): MaintenanceAction {
  return MaintenanceSchema.parse({
    kind: 'maintenance',
    summary: 'Vacuum the job tables',
    database: 'main',
    operation: 'vacuum',
    tables: ['jobs', 'audit.events'],
    ...fields,
  });
}

function context(params: ParamValues = {}, progress: string[] = []): ActionContext {
  return testContext({
    environment: 'production',
    params,
    database: (name) => {
      if (name !== 'main') throw new Error(`no database ${name}`);
      return pool;
    },
    progress: (message) => progress.push(message),
  });
}

/** Deletes rows and makes sure the deleting session's stats reach the shared stats before returning. */
async function makeDeadTuples(table: string, where: string): Promise<void> {
  const client = await other.connect();
  try {
    await client.query(`DELETE FROM ${table} WHERE ${where}`);
    await client.query('SELECT pg_stat_force_next_flush()');
    await client.query('SELECT 1');
  } finally {
    client.release();
  }
}

const column = (table: { columns: string[] }, name: string) => table.columns.indexOf(name);

describe('maintenance config', () => {
  it('fills in defaults and is part of the action union', () => {
    const parsed = config();
    expect(parsed.timeout).toBe(600_000);
    expect(parsed.role).toBe('operator');
    expect(maintenanceKind.idempotent(parsed)).toBe(true);
    expect(ActionConfigSchema.safeParse({ ...parsed, timeout: '10m' }).success).toBe(true);
  });

  it('refuses table names that are not plain identifiers, and unknown operations', () => {
    for (const bad of ['Jobs', 'jobs; DROP TABLE jobs', 'a.b.c', '"jobs"', 'jobs--', '']) {
      expect(MaintenanceSchema.safeParse({ ...config(), timeout: '1s', tables: [bad] }).success).toBe(false);
    }
    expect(MaintenanceSchema.safeParse({ ...config(), timeout: '1s', operation: 'cluster' }).success).toBe(
      false,
    );
    expect(MaintenanceSchema.safeParse({ ...config(), timeout: '1s', tables: [] }).success).toBe(false);
  });

  it('quotes every part of a name', () => {
    expect(quoteTable('jobs')).toBe('"jobs"');
    expect(quoteTable('audit.events')).toBe('"audit"."events"');
    expect(() => quoteTable('jobs"; DROP TABLE x; --')).toThrow();
  });

  it('cross-checks the database and params', () => {
    const raw = {
      services: {
        bentham: {
          databases: { main: { url: 'postgres://x' } },
          actions: {
            vacuum: {
              kind: 'maintenance',
              summary: 's',
              database: 'other',
              operation: 'vacuum',
              tables: ['jobs'],
            },
            weekly: {
              kind: 'maintenance',
              summary: 's',
              database: 'main',
              operation: 'analyze',
              tables: ['jobs'],
              params: { table: { type: 'string', enum: ['jobs', 'users'] }, extra: { type: 'string' } },
            },
          },
        },
      },
    };
    const messages = crossCheck(raw).map((p) => `${p.path.join('.')}: ${p.message}`);
    expect(messages).toHaveLength(3);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^services\.bentham\.actions\.vacuum\.database: names no database/),
        expect.stringMatching(/actions\.weekly\.params\.table\.enum: users is not one of the tables/),
        expect.stringMatching(/actions\.weekly\.params\.extra: is not a maintenance param/),
      ]),
    );
  });

  it('accepts only a configured table as the table param', () => {
    const c = config();
    expect(maintenanceKind.constraints?.(c, {})).toBeUndefined();
    expect(maintenanceKind.constraints?.(c, { table: 'audit.events' })).toBeUndefined();
    expect(maintenanceKind.constraints?.(c, { table: 'users' })).toMatch(/users is not one of the tables/);
    expect(maintenanceKind.constraints?.(c, { table: 'jobs"; DROP TABLE jobs; --' })).toMatch(/not one of/);
  });
});

describe('maintenance on PostgreSQL', () => {
  // Tables of each test's own: new tables, so never vacuumed or analyzed, with no dead tuples.
  beforeEach(async () => {
    await pool.query(`
      DROP TABLE IF EXISTS jobs;
      DROP SCHEMA IF EXISTS audit CASCADE;
      CREATE TABLE jobs (id serial PRIMARY KEY, payload text) WITH (autovacuum_enabled = false);
      CREATE SCHEMA audit;
      CREATE TABLE audit.events (id serial PRIMARY KEY, body text) WITH (autovacuum_enabled = false);
      INSERT INTO jobs (payload) SELECT repeat('x', 100) FROM generate_series(1, 2000);
      INSERT INTO audit.events (body) SELECT 'e' FROM generate_series(1, 100);
    `);
  });

  it('plans with dead tuples and size, vacuums outside a transaction, and shows dead tuples after', async () => {
    await makeDeadTuples('jobs', 'id % 2 = 0');
    const c = config();
    const plan = await maintenanceKind.plan(c, context());
    expect(plan.summary).toBe('VACUUM of 2 tables (jobs, audit.events).');
    const planTable = plan.table as NonNullable<typeof plan.table>;
    expect(planTable.rows.map((row) => row[0])).toEqual(['jobs', 'audit.events']);
    const jobsBefore = planTable.rows[0] as string[];
    expect(Number(jobsBefore[column(planTable, 'dead')])).toBeGreaterThan(0);
    expect(jobsBefore[column(planTable, 'size')]).toMatch(/kB|MB/);
    expect(jobsBefore[column(planTable, 'last_vacuum')]).toBe('never');

    const progress: string[] = [];
    const result = await maintenanceKind.execute(c, context({}, progress));
    expect(result.summary).toBe('VACUUM finished on 2 tables.');
    expect(progress).toEqual(['VACUUM jobs (1 of 2)…', 'VACUUM audit.events (2 of 2)…']);
    const after = result.table as NonNullable<typeof result.table>;
    const jobsAfter = after.rows[0] as string[];
    expect(jobsAfter[column(after, 'last_vacuum')]).not.toBe('never');
    expect(Number(jobsAfter[column(after, 'dead')])).toBe(0);
    expect(Number(jobsAfter[column(after, 'live')])).toBe(1000);

    // The session timeout was reset on the pool's only client.
    expect((await pool.query('SHOW statement_timeout')).rows[0].statement_timeout).toBe('0');
  });

  it('limits a run to the configured table named by the table param', async () => {
    const c = config({ operation: 'analyze' });
    const result = await maintenanceKind.execute(c, context({ table: 'audit.events' }));
    expect(result.summary).toBe('ANALYZE finished on 1 table.');
    expect(result.table?.rows.map((row) => row[0])).toEqual(['audit.events']);
    const analyzed = result.table?.rows[0]?.[column(result.table, 'last_analyze')];
    expect(analyzed).not.toBe('never');
  });

  it('refuses a table param that is not configured, before touching the database', async () => {
    const c = config();
    await expect(maintenanceKind.plan(c, context({ table: 'pg_class' }))).rejects.toThrow(
      /not one of the tables/,
    );
    await expect(maintenanceKind.execute(c, context({ table: 'jobs; VACUUM FULL' }))).rejects.toThrow(
      /not one of the tables/,
    );
  });

  it('runs VACUUM ANALYZE and REINDEX', async () => {
    const both = await maintenanceKind.execute(
      config({ operation: 'vacuum-analyze', tables: ['jobs'] }),
      context(),
    );
    expect(both.summary).toBe('VACUUM ANALYZE finished on 1 table.');
    const before = (await pool.query("SELECT relfilenode FROM pg_class WHERE relname = 'jobs_pkey'")).rows[0];
    const reindex = await maintenanceKind.execute(
      config({ operation: 'reindex', tables: ['jobs'] }),
      context(),
    );
    expect(reindex.summary).toBe('REINDEX finished on 1 table.');
    const after = (await pool.query("SELECT relfilenode FROM pg_class WHERE relname = 'jobs_pkey'")).rows[0];
    expect(after.relfilenode).not.toBe(before.relfilenode);
  });

  it('stops at its timeout with one clear sentence and resets the session', async () => {
    const locker = await other.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE');
      const c = config({ timeout: '200ms' });
      await expect(maintenanceKind.execute(c, context())).rejects.toThrow(
        'VACUUM of jobs was stopped after its 200ms timeout; the tables after it were not touched.',
      );
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
    expect((await pool.query('SHOW statement_timeout')).rows[0].statement_timeout).toBe('0');
  });

  it('says plainly when a configured table does not exist', async () => {
    const c = config({ tables: ['missing_table'] });
    const plan = await maintenanceKind.plan(c, context());
    expect(plan.table?.rows[0]).toEqual(['missing_table', '∅', '∅', 'missing', '∅', '∅', '∅']);
    await expect(maintenanceKind.execute(c, context())).rejects.toThrow(
      'Table missing_table does not exist in database main.',
    );
  });
});
