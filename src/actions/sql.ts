import { z } from 'zod';
import { Duration } from '../config/duration.js';
import { databaseProblems } from '../config/problems.js';
import { previewRows, type TimedTransactionOptions, timedTransaction } from '../db/target-sql.js';
import { compileNamedParams } from './named-params.js';
import type { ParamValues } from './params.js';
import { type ActionKind, baseActionFields } from './types.js';

/** Rows shown on a run card; the count covers all of them. */
const PREVIEW_ROWS = 20;

/** An ops.yml entry of kind `sql`. */
export const SqlActionSchema = z.strictObject({
  kind: z.literal('sql'),
  ...baseActionFields,
  database: z.string().min(1),
  preview: z.string().min(1).optional(),
  run: z.string().min(1),
  idempotent: z.boolean().default(false),
  timeout: Duration.prefault('30s'),
});

export type SqlAction = z.infer<typeof SqlActionSchema>;

/** A parameterised SQL statement on one of the service's databases, with an optional read-only preview. */
export const sqlKind: ActionKind<SqlAction> = {
  kind: 'sql',
  configSchema: SqlActionSchema,
  help: {
    line: 'Runs one parameterised SQL statement on a database of the service, after a read-only preview of the rows it would touch.',
    example: [
      'cancel-run:  # /ops cancel-run <service> run_42',
      '  kind: sql',
      '  summary: Cancel a stuck run',
      '  database: main',
      '  params:',
      '    run: { type: string, pattern: "^run_[a-z0-9]+$" }',
      "  preview: SELECT id, status FROM runs WHERE id = :run AND status = 'running'",
      "  run: UPDATE runs SET status = 'cancelled' WHERE id = :run AND status = 'running'",
      '  idempotent: true',
    ].join('\n'),
  },
  idempotent: (config) => config.idempotent,

  check(config, service) {
    const problems = databaseProblems(config.database, service);
    for (const field of ['preview', 'run'] as const) {
      const sql = config[field];
      if (sql === undefined) continue;
      for (const name of compileNamedParams(sql).names) {
        if (!Object.hasOwn(config.params, name)) {
          problems.push({ path: [field], message: `uses :${name}, which is not a declared param` });
        }
      }
    }
    return problems;
  },

  async plan(config, ctx) {
    if (!config.preview) return { summary: 'This action has no preview.' };
    const preview = compileNamedParams(config.preview);
    const table = await timedTransaction(
      ctx.database(config.database),
      timed(config.timeout, 'BEGIN READ ONLY'),
      (c) => previewRows(c, { text: preview.text, values: bind(preview.names, ctx.params) }, PREVIEW_ROWS),
    );
    return { summary: `${table.total} ${table.total === 1 ? 'row' : 'rows'} would be affected.`, table };
  },

  async execute(config, ctx) {
    const run = compileNamedParams(config.run);
    const result = await timedTransaction(
      ctx.database(config.database),
      timed(config.timeout, 'BEGIN'),
      (c) => c.query({ text: run.text, values: bind(run.names, ctx.params) }),
    );
    const count = result.rowCount ?? 0;
    return { summary: `${count} ${count === 1 ? 'row' : 'rows'} affected.` };
  },
};

function bind(names: string[], params: ParamValues): (string | number | null)[] {
  return names.map((name) => params[name] ?? null);
}

/** One statement's transaction: a timeout that stops it is one sentence saying nothing was changed. */
function timed(timeoutMs: number, begin: 'BEGIN' | 'BEGIN READ ONLY'): TimedTransactionOptions {
  return {
    timeoutMs,
    begin,
    timedOut: () =>
      new Error(`The statement was stopped after its ${timeoutMs} ms timeout; nothing was changed.`),
  };
}
