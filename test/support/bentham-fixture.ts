import pg from 'pg';

/**
 * Bentham's `jobs` table (DESIGN §1), seeded: study_abc123 has 3 failed jobs and 1 completed one; and its
 * `settings` row, which degraded mode switches (the allow-list may be at most 40 characters).
 */
export async function createBenthamJobs(url: string): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  await pool.query(`
    CREATE TABLE jobs (
      id serial PRIMARY KEY,
      study_id text NOT NULL,
      status text NOT NULL,
      attempt_count int NOT NULL DEFAULT 0,
      error_message text
    );
    INSERT INTO jobs (study_id, status, attempt_count, error_message) VALUES
      ('study_abc123', 'failed', 3, 'executor timeout'),
      ('study_abc123', 'failed', 3, 'rate limited by provider'),
      ('study_abc123', 'failed', 2, 'executor timeout'),
      ('study_abc123', 'completed', 1, NULL),
      ('study_other1', 'failed', 3, 'bad request');
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
