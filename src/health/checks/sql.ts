import type { Pool, PoolClient } from 'pg';
import { z } from 'zod';
import { Duration } from '../../config/duration.js';
import { databaseProblems } from '../../config/problems.js';
import { isStatementTimeout, setStatementTimeout, timedTransaction } from '../../db/target-sql.js';
import { describeError } from '../../describe-error.js';
import { type HealthResult, levelOf, timedResult } from '../levels.js';
import { baseCheckFields, type CheckType, ThresholdsSchema } from './check-type.js';

/**
 * A SQL health check: a read-only query on one of the service's databases that returns one number, graded
 * as it is, or, with `percent_of`, as a percentage of what a second query returns (the levels are then in
 * percent). In ops.yml (Bentham runbook 001, Database Connections: warning >80 %, critical >95 %):
 *
 *   - type: sql
 *     name: db-connections
 *     database: main
 *     query: SELECT count(*) FROM pg_stat_activity
 *     percent_of: SELECT setting::int FROM pg_settings WHERE name = 'max_connections'
 *     unit: connections
 *     warning: { above: 80 }    # percent, because of percent_of
 *     critical: { above: 95 }
 *
 * Its detail then reads `45 of 100 connections (45 %)`.
 */
export const SqlCheckSchema = z.strictObject({
  ...baseCheckFields('sql'),
  database: z.string().min(1),
  query: z.string().min(1),
  /** A second query whose number is 100 %: `warning` and `critical` are then percentages of it. */
  percent_of: z.string().min(1).optional(),
  /** What the number counts, for the detail (`45 of 100 connections`). */
  unit: z.string().min(1).max(30).optional(),
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

/** The number a check grades, and how its detail shows it. */
interface Measured {
  graded: number;
  detail: string;
}

/** Runs the check's read-only queries (both within its timeout) and grades the number against its levels. */
async function runSqlCheck(check: Omit<SqlHealthCheckConfig, 'type'>, pool: Pool): Promise<HealthResult> {
  const result = timedResult(check.name);
  try {
    const measured = await timedTransaction(
      pool,
      { timeoutMs: check.timeout, begin: 'BEGIN READ ONLY' },
      (client) => measure(client, check),
    );
    if (typeof measured === 'string') return result('critical', measured);
    return result(levelOf(measured.graded, check.warning, check.critical), measured.detail);
  } catch (error) {
    const detail = isStatementTimeout(error) ? `no answer within ${check.timeout} ms` : describeError(error);
    return result('critical', detail);
  }
}

/** The number to grade: the query's, or its percentage of `percent_of`'s; or why there is none. */
async function measure(
  client: PoolClient,
  check: Omit<SqlHealthCheckConfig, 'type'>,
): Promise<Measured | string> {
  const started = performance.now();
  const value = await oneNumber(client, check.query);
  if (value === undefined) return 'the query did not return one number';
  const unit = check.unit === undefined ? '' : ` ${check.unit}`;
  if (check.percent_of === undefined) return { graded: value, detail: `${value}${unit}` };
  // The second query has what is left of the check's timeout, not a timeout of its own.
  await setStatementTimeout(client, Math.max(1, Math.ceil(check.timeout - (performance.now() - started))));
  const whole = await oneNumber(client, check.percent_of);
  if (whole === undefined) return 'the percent_of query did not return one number';
  if (whole <= 0) return `the percent_of query returned ${whole}, so no percentage of it can be taken`;
  const percent = (value / whole) * 100;
  return { graded: percent, detail: `${value} of ${whole}${unit} (${Math.round(percent * 10) / 10} %)` };
}

/** The one number a query returns (one row, its first column), or undefined. */
async function oneNumber(client: PoolClient, text: string): Promise<number | undefined> {
  const { rows } = await client.query({ text, rowMode: 'array' });
  const value = Number((rows[0] as unknown[] | undefined)?.[0]);
  return rows.length === 1 && Number.isFinite(value) ? value : undefined;
}
