import type { Pool, PoolClient } from 'pg';
import type { ResultTable } from '../result-table.js';
import { withTransaction } from './transaction.js';

/**
 * SQL opsbot runs on a service's own databases (actions, lookups, health checks): each statement under a
 * statement timeout, and result rows as text for a card.
 */

/** SQLSTATE query_canceled, which is what statement_timeout raises. */
const QUERY_CANCELED = '57014';

/** Whether a query failed because its statement timeout stopped it. */
export function isStatementTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === QUERY_CANCELED;
}

/** Sets statement_timeout for the rest of the transaction (`local`) or of the session (reset it after). */
export async function setStatementTimeout(
  client: PoolClient,
  timeoutMs: number,
  scope: 'local' | 'session' = 'local',
): Promise<void> {
  await client.query("SELECT set_config('statement_timeout', $1, $2)", [
    String(timeoutMs),
    scope === 'local',
  ]);
}

/** How a timed transaction starts, and what a statement stopped by its timeout becomes. */
export interface TimedTransactionOptions {
  timeoutMs: number;
  begin?: 'BEGIN' | 'BEGIN READ ONLY';
  /** The error thrown instead of the database's when the timeout stopped a statement. */
  timedOut?: () => Error;
}

/** Runs `work` in one transaction whose every statement is stopped after `timeoutMs`. */
export async function timedTransaction<T>(
  pool: Pool,
  options: TimedTransactionOptions,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  try {
    return await withTransaction(
      pool,
      async (client) => {
        await setStatementTimeout(client, options.timeoutMs);
        return work(client);
      },
      options.begin,
    );
  } catch (error) {
    if (options.timedOut && isStatementTimeout(error)) throw options.timedOut();
    throw error;
  }
}

/**
 * At most `maxRows` rows of a query, as text, with the count of all its rows (one window count, no second
 * query): the preview of an action or a lookup. Trailing semicolons are dropped, so it can be wrapped.
 */
export async function previewRows(
  client: PoolClient,
  query: { text: string; values: unknown[] },
  maxRows: number,
): Promise<ResultTable> {
  const inner = query.text.trim().replace(/;+$/, '');
  const result = await client.query({
    text: `SELECT count(*) OVER () AS opsbot_total, p.* FROM (${inner}) AS p LIMIT ${maxRows}`,
    values: query.values,
    rowMode: 'array',
  });
  const rows = result.rows as unknown[][];
  return {
    columns: result.fields.slice(1).map((field) => field.name),
    rows: rows.map((row) => row.slice(1).map(cellText)),
    total: rows.length === 0 ? 0 : Number(rows[0]?.[0]),
  };
}

/** One cell as a card shows it: `∅` for NULL, ISO times, `\x…` hex for bytea, JSON for other objects. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '∅';
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
