import type { Pool } from 'pg';
import { z } from 'zod';
import { Duration } from '../../config/duration.js';
import { databaseProblems } from '../../config/problems.js';
import { isStatementTimeout, timedTransaction } from '../../db/target-sql.js';
import { describeError } from '../../describe-error.js';
import { type HealthResult, levelOf, timedResult } from '../levels.js';
import { baseCheckFields, type CheckType, ThresholdsSchema } from './check-type.js';

/** A SQL health check: a read-only query on one of the service's databases that returns one number. */
export const SqlCheckSchema = z.strictObject({
  ...baseCheckFields('sql'),
  database: z.string().min(1),
  query: z.string().min(1),
  warning: ThresholdsSchema.optional(),
  critical: ThresholdsSchema.optional(),
  timeout: Duration.prefault('5s'),
});
export type SqlHealthCheckConfig = z.infer<typeof SqlCheckSchema>;

/** `type: sql` (or any check with a `database` or `query`): grades a number one query returns. */
export const sqlCheck = {
  type: 'sql',
  configSchema: SqlCheckSchema,
  inferredFrom: ['database', 'query'],
  check: (config, service) => databaseProblems(config.database, service),
  run: (config, deps) => runSqlCheck(config, deps.database(config.database)),
} satisfies CheckType<SqlHealthCheckConfig>;

/** Runs a read-only query that returns one number, and grades the number against its levels. */
async function runSqlCheck(check: Omit<SqlHealthCheckConfig, 'type'>, pool: Pool): Promise<HealthResult> {
  const result = timedResult(check.name);
  try {
    const { rows } = await timedTransaction(
      pool,
      { timeoutMs: check.timeout, begin: 'BEGIN READ ONLY' },
      (client) => client.query({ text: check.query, rowMode: 'array' }),
    );
    const value = Number((rows[0] as unknown[] | undefined)?.[0]);
    if (rows.length !== 1 || !Number.isFinite(value)) {
      return result('critical', 'the query did not return one number');
    }
    return result(levelOf(value, check.warning, check.critical), `${value}`);
  } catch (error) {
    const detail = isStatementTimeout(error) ? `no answer within ${check.timeout} ms` : describeError(error);
    return result('critical', detail);
  }
}
