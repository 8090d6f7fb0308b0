import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SqlAction, SqlActionSchema, sqlKind } from '../../src/actions/sql.js';
import type { ActionContext } from '../../src/actions/types.js';
import { describeError } from '../../src/describe-error.js';
import { testContext } from '../support/action-context.js';
import { createBenthamJobs, jobRows } from '../support/bentham-fixture.js';
import { createTestDatabase } from '../support/databases.js';

let target: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;

beforeAll(async () => {
  target = await createTestDatabase('sql_failures');
  pool = await createBenthamJobs(target.url);
});
afterAll(async () => {
  await pool?.end();
  await target?.drop();
});

function action(fields: Record<string, unknown>): SqlAction {
  return SqlActionSchema.parse({
    kind: 'sql',
    summary: 'test',
    database: 'main',
    params: { study: { type: 'string' } },
    ...fields,
  });
}

function context(params: Record<string, string>): ActionContext {
  return testContext({ params, database: () => pool });
}

/** Runs execute() and returns the one sentence a run card would show, or fails the test if it succeeded. */
async function failure(config: SqlAction, params: Record<string, string>): Promise<string> {
  try {
    await sqlKind.execute(config, context(params));
  } catch (error) {
    return describeError(error);
  }
  throw new Error('execute() succeeded');
}

describe('sql actions that fail', () => {
  it('stops at the statement timeout, rolls back, and says so in one sentence', async () => {
    const before = await jobRows(pool);
    const slow = action({
      run: 'UPDATE jobs SET attempt_count = attempt_count + 1 WHERE study_id = :study AND pg_sleep(1) IS NOT NULL',
      timeout: '100ms',
    });
    expect(await failure(slow, { study: 'study_abc123' })).toBe(
      'The statement was stopped after its 100 ms timeout; nothing was changed.',
    );
    expect(await jobRows(pool)).toEqual(before);
  });

  it('reports a constraint violation in one sentence and leaves the target unchanged', async () => {
    const before = await jobRows(pool);
    const broken = action({ run: 'UPDATE jobs SET status = NULL WHERE study_id = :study' });
    expect(await failure(broken, { study: 'study_abc123' })).toBe(
      'null value in column "status" of relation "jobs" violates not-null constraint',
    );
    expect(await jobRows(pool)).toEqual(before);
  });

  it('stops the preview at its timeout too, without changing anything', async () => {
    const before = await jobRows(pool);
    const slowPreview = action({
      preview: 'SELECT id FROM jobs WHERE study_id = :study AND pg_sleep(1) IS NOT NULL',
      run: 'SELECT 1',
      timeout: '100ms',
    });
    await expect(sqlKind.plan(slowPreview, context({ study: 'study_abc123' }))).rejects.toThrow(
      'The statement was stopped after its 100 ms timeout; nothing was changed.',
    );
    expect(await jobRows(pool)).toEqual(before);
  });
});
