import type { Pool } from 'pg';
import type { SqlHealthCheckConfig } from '../config/ops-config.js';
import { withTransaction } from '../db/transaction.js';
import { describeError } from '../describe-error.js';
import { type HealthResult, levelOf, timedResult } from './levels.js';

/** Runs a read-only query that returns one number, and grades the number against its levels. */
export async function runSqlCheck(check: SqlHealthCheckConfig, pool: Pool): Promise<HealthResult> {
  const result = timedResult(check.name);
  try {
    const { rows } = await withTransaction(
      pool,
      async (client) => {
        await client.query("SELECT set_config('statement_timeout', $1, true)", [String(check.timeout)]);
        return client.query({ text: check.query, rowMode: 'array' });
      },
      'BEGIN READ ONLY',
    );
    const value = Number((rows[0] as unknown[] | undefined)?.[0]);
    if (rows.length !== 1 || !Number.isFinite(value)) {
      return result('critical', 'the query did not return one number');
    }
    return result(levelOf(value, check.warning, check.critical), `${value}`);
  } catch (error) {
    const timedOut = (error as { code?: string }).code === '57014';
    const detail = timedOut ? `no answer within ${check.timeout} ms` : describeError(error);
    return result('critical', detail);
  }
}
