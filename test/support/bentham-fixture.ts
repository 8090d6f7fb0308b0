import { readFileSync } from 'node:fs';
import pg from 'pg';

/** Bentham's tables and rows as runbook 001 shows them: the one schema the harness and the seed test share. */
export const BENTHAM_SCHEMA = readFileSync(
  new URL('../fixtures/seeds/bentham/schema.sql', import.meta.url),
  'utf8',
);

/**
 * Bentham's database from test/fixtures/seeds/bentham/schema.sql (study_abc123 has 3 failed jobs and 1
 * completed one, jobs 1 to 4; study_other1 one failed job, job 5), plus a test-only `settings` row, which the
 * test-only degraded mode switches (the allow-list may be at most 40 characters; the runbook has no such table).
 */
export async function createBenthamJobs(url: string): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  await pool.query(BENTHAM_SCHEMA);
  await pool.query(`
    CREATE TABLE settings (
      id int PRIMARY KEY,
      degraded boolean NOT NULL DEFAULT false,
      allowed_models text CHECK (allowed_models IS NULL OR length(allowed_models) <= 40)
    );
    INSERT INTO settings (id) VALUES (1);
  `);
  return pool;
}

/** The jobs table as rows, ordered by id, for before/after comparisons. */
export async function jobRows(pool: pg.Pool) {
  const { rows } = await pool.query(
    'SELECT id, study_id, status, attempt_count, error_message FROM jobs ORDER BY id',
  );
  return rows as {
    id: number;
    study_id: string;
    status: string;
    attempt_count: number;
    error_message: string | null;
  }[];
}
