import type { Pool } from 'pg';
import { z } from 'zod';
import { compileNamedParams } from '../actions/named-params.js';
import { ParamsSchema, type ParamValues } from '../actions/params.js';
import { ROLES } from '../auth/roles.js';
import { Duration } from '../config/duration.js';
import { type ConfigProblem, databaseProblems } from '../config/problems.js';
import { withTransaction } from '../db/transaction.js';
import { UnavailableError } from '../errors.js';
import type { ResultTable } from '../result-table.js';

/** A read-only query of `services.<name>.lookups` (DESIGN §2), run by `/ops show <service> <lookup>`. */
export const LookupSchema = z.strictObject({
  database: z.string().min(1),
  summary: z.string().min(1).max(150).optional(),
  params: ParamsSchema,
  query: z.string().min(1),
  role: z.enum(ROLES).default('viewer'),
  max_rows: z.number().int().min(1).max(1000).default(50),
  timeout: Duration.prefault('10s'),
});
export type LookupConfig = z.infer<typeof LookupSchema>;

/** Problems that need the surrounding service to see: its database, and the placeholders its query uses. */
export function checkLookup(lookup: LookupConfig, service: { databases: string[] }): ConfigProblem[] {
  const problems = databaseProblems(lookup.database, service);
  for (const name of compileNamedParams(lookup.query).names) {
    if (!Object.hasOwn(lookup.params, name)) {
      problems.push({ path: ['query'], message: `uses :${name}, which is not a declared param` });
    }
  }
  return problems;
}

/**
 * Runs the lookup's query in a READ ONLY transaction under its statement timeout, values bound as query
 * parameters, at most `max_rows` rows; `total` counts every matching row.
 */
export async function runLookup(lookup: LookupConfig, pool: Pool, params: ParamValues): Promise<ResultTable> {
  const compiled = compileNamedParams(lookup.query.trim().replace(/;+$/, ''));
  const text = `SELECT count(*) OVER () AS opsbot_total, p.* FROM (${compiled.text}) AS p LIMIT ${lookup.max_rows}`;
  const values = compiled.names.map((name) => params[name] ?? null);
  const result = await withTransaction(
    pool,
    async (client) => {
      await client.query("SELECT set_config('statement_timeout', $1, true)", [String(lookup.timeout)]);
      return client.query({ text, values, rowMode: 'array' });
    },
    'BEGIN READ ONLY',
  ).catch((error: unknown) => {
    if ((error as { code?: string }).code === '57014') {
      throw new UnavailableError(
        `The lookup took longer than its ${lookup.timeout / 1000}s timeout and was stopped.`,
      );
    }
    throw error;
  });
  const rows = result.rows as unknown[][];
  return {
    columns: result.fields.slice(1).map((field) => field.name),
    rows: rows.map((row) => row.slice(1).map(cellText)),
    total: rows.length === 0 ? 0 : Number(rows[0]?.[0]),
  };
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '∅';
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
