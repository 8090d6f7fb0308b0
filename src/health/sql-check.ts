import type { Pool } from 'pg';
import type { SqlHealthCheckConfig } from '../config/ops-config.js';
import { withTransaction } from '../db/transaction.js';
import { describeError } from '../runs/describe-error.js';
import type { HealthResult } from './http-check.js';
import { levelOf } from './levels.js';

/** Runs a read-only query that returns one number, and grades the number against its levels. */
export async function runSqlCheck(check: SqlHealthCheckConfig, pool: Pool): Promise<HealthResult> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
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
      return {
        name: check.name,
        level: 'critical',
        detail: 'the query did not return one number',
        latencyMs: latency(),
      };
    }
    return {
      name: check.name,
      level: levelOf(value, check.warning, check.critical),
      detail: `${value}`,
      latencyMs: latency(),
    };
  } catch (error) {
    const timedOut = (error as { code?: string }).code === '57014';
    const detail = timedOut ? `no answer within ${check.timeout} ms` : describeError(error);
    return { name: check.name, level: 'critical', detail, latencyMs: latency() };
  }
}
