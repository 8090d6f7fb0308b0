import type { Pool } from 'pg';
import type { HealthCheckConfig } from '../config/ops-config.js';
import type { CounterWindowStore } from './counter-windows.js';
import { runHttpCheck } from './http-check.js';
import type { HealthResult } from './levels.js';
import { runPrometheusCheck } from './prometheus-check.js';
import { runRedisCheck } from './redis-check.js';
import { runSqlCheck } from './sql-check.js';

/** Runs one health check of any type; never throws, a failure is a critical result. */
export function runCheck(
  check: HealthCheckConfig,
  database: (name: string) => Pool,
  windows: CounterWindowStore,
): Promise<HealthResult> {
  if ('url' in check) return runHttpCheck(check);
  if ('query' in check) return runSqlCheck(check, database(check.database));
  if ('metrics' in check) return runPrometheusCheck(check, windows);
  return runRedisCheck(check);
}
