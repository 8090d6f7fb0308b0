import type { Pool } from 'pg';
import { z } from 'zod';
import { compileNamedParams } from '../actions/named-params.js';
import { ParamsSchema, type ParamValues } from '../actions/params.js';
import { ROLES } from '../auth/roles.js';
import { Duration } from '../config/duration.js';
import { type ConfigProblem, databaseProblems } from '../config/problems.js';
import { previewRows, timedTransaction } from '../db/target-sql.js';
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
  const compiled = compileNamedParams(lookup.query);
  const values = compiled.names.map((name) => params[name] ?? null);
  return timedTransaction(
    pool,
    {
      timeoutMs: lookup.timeout,
      begin: 'BEGIN READ ONLY',
      timedOut: () =>
        new UnavailableError(
          `The lookup took longer than its ${lookup.timeout / 1000}s timeout and was stopped.`,
        ),
    },
    (client) => previewRows(client, { text: compiled.text, values }, lookup.max_rows),
  );
}
