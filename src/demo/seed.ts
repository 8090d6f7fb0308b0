import type pg from 'pg';
import { withTransaction } from '../db/transaction.js';
import { ConflictError } from '../errors.js';

/** The schema the demo's tables live in, inside opsbot's own database. */
export const DEMO_SCHEMA = 'demo';

/** The comment opsbot puts on the schema it creates: a `demo` schema without it is someone else's. */
const DEMO_MARK = 'opsbot demo';

/** Bentham-style tables (DESIGN §1): studies, their jobs, and API keys, with some failures to retry. */
const SEED_SQL = `
  CREATE SCHEMA ${DEMO_SCHEMA};
  COMMENT ON SCHEMA ${DEMO_SCHEMA} IS '${DEMO_MARK}';
  CREATE TABLE ${DEMO_SCHEMA}.studies (
    id text PRIMARY KEY,
    title text NOT NULL,
    status text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE ${DEMO_SCHEMA}.jobs (
    id serial PRIMARY KEY,
    study_id text NOT NULL REFERENCES ${DEMO_SCHEMA}.studies (id),
    status text NOT NULL,
    attempt_count int NOT NULL DEFAULT 0,
    error_message text,
    updated_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE ${DEMO_SCHEMA}.api_keys (
    id text PRIMARY KEY,
    owner text NOT NULL,
    created_at timestamptz NOT NULL,
    revoked boolean NOT NULL DEFAULT false,
    revoked_at timestamptz
  );
  -- The fake API's own state (src/demo/demo-api.ts): degraded mode, as the demo switch sets it.
  CREATE TABLE ${DEMO_SCHEMA}.settings (
    id int PRIMARY KEY CHECK (id = 1),
    degraded boolean NOT NULL DEFAULT false,
    allow_list text
  );
  INSERT INTO ${DEMO_SCHEMA}.settings (id) VALUES (1);
  INSERT INTO ${DEMO_SCHEMA}.studies (id, title, status) VALUES
    ('study_abc123', 'Pricing survey, wave 3', 'running'),
    ('study_def456', 'Onboarding A/B test', 'running'),
    ('study_ghi789', 'Churn interviews', 'completed');
  INSERT INTO ${DEMO_SCHEMA}.jobs (study_id, status, attempt_count, error_message) VALUES
    ('study_abc123', 'failed', 3, 'executor timeout'),
    ('study_abc123', 'failed', 3, 'rate limited by provider'),
    ('study_abc123', 'failed', 2, 'executor timeout'),
    ('study_abc123', 'completed', 1, NULL),
    ('study_def456', 'failed', 3, 'bad request: prompt too long'),
    ('study_def456', 'pending', 0, NULL),
    ('study_def456', 'completed', 1, NULL),
    ('study_ghi789', 'completed', 1, NULL),
    ('study_ghi789', 'completed', 2, NULL);
  INSERT INTO ${DEMO_SCHEMA}.api_keys (id, owner, created_at) VALUES
    ('key_alpha1', 'alice@example.com', now() - interval '90 days'),
    ('key_beta2', 'ci-pipeline', now() - interval '30 days'),
    ('key_leaked3', 'bob@example.com', now() - interval '2 days');
`;

/**
 * Creates the demo schema and its data in opsbot's database. Kept as it is when it exists, unless `reset`,
 * which drops it first: the demo starts again from the seeded failures. A `demo` schema opsbot did not
 * create is neither used nor dropped.
 */
export async function seedDemo(pool: pg.Pool, reset: boolean): Promise<'created' | 'kept'> {
  return withTransaction(pool, async (client) => {
    // Two demos starting at once must not both create the schema.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('opsbot demo seed'))");
    const { rows } = await client.query<{ mark: string | null }>(
      "SELECT obj_description(oid, 'pg_namespace') AS mark FROM pg_namespace WHERE nspname = $1",
      [DEMO_SCHEMA],
    );
    if (rows[0] && rows[0].mark !== DEMO_MARK) {
      throw new ConflictError(
        `This database already has a "${DEMO_SCHEMA}" schema that opsbot did not create, so the demo leaves it alone: ` +
          'point DATABASE_URL at another database.',
      );
    }
    if (rows[0] && !reset) return 'kept';
    await client.query(`DROP SCHEMA IF EXISTS ${DEMO_SCHEMA} CASCADE`);
    await client.query(SEED_SQL);
    return 'created';
  });
}
