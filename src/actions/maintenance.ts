import type { Pool } from 'pg';
import { z } from 'zod';
import { Duration, formatDuration } from '../config/duration.js';
import { databaseProblems } from '../config/problems.js';
import { isStatementTimeout, setStatementTimeout } from '../db/target-sql.js';
import { UserError } from '../errors.js';
import type { ResultTable } from '../result-table.js';
import type { ParamValues } from './params.js';
import { type ActionContext, type ActionKind, baseActionFields } from './types.js';

/** `table` or `schema.table`, lower case: checked here and always double-quoted in SQL. */
const TABLE_NAME = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

const OPERATIONS = ['vacuum', 'analyze', 'vacuum-analyze', 'reindex'] as const;
type Operation = (typeof OPERATIONS)[number];

const STATEMENT: Record<Operation, string> = {
  vacuum: 'VACUUM',
  analyze: 'ANALYZE',
  'vacuum-analyze': 'VACUUM ANALYZE',
  reindex: 'REINDEX TABLE',
};

const LABEL: Record<Operation, string> = {
  vacuum: 'VACUUM',
  analyze: 'ANALYZE',
  'vacuum-analyze': 'VACUUM ANALYZE',
  reindex: 'REINDEX',
};

/** An ops.yml entry of kind `maintenance`. */
export const MaintenanceSchema = z.strictObject({
  kind: z.literal('maintenance'),
  ...baseActionFields,
  database: z.string().min(1),
  operation: z.enum(OPERATIONS),
  tables: z
    .array(z.string().regex(TABLE_NAME, 'must be a lower-case table name, optionally schema.table'))
    .min(1),
  timeout: Duration.prefault('10m'),
});

export type MaintenanceAction = z.infer<typeof MaintenanceSchema>;

/**
 * VACUUM, ANALYZE, VACUUM ANALYZE or REINDEX of configured tables, outside a transaction (VACUUM cannot run
 * in one); the plan shows each table's live and dead tuples, size and last maintenance.
 */
export const maintenanceKind: ActionKind<MaintenanceAction> = {
  kind: 'maintenance',
  configSchema: MaintenanceSchema,
  help: {
    line: 'Runs VACUUM, ANALYZE, VACUUM ANALYZE or REINDEX on listed tables of a database of the service; the plan shows their dead tuples and size.',
    example: [
      'analyze:  # /ops analyze <service>',
      '  kind: maintenance',
      '  summary: VACUUM ANALYZE of the busiest tables',
      '  database: main',
      '  operation: vacuum-analyze',
      '  tables: [jobs, runs]',
    ].join('\n'),
  },
  idempotent: () => true,

  constraints(config, params) {
    return tableProblem(config, params);
  },

  check(config, service) {
    const problems = databaseProblems(config.database, service);
    for (const name of Object.keys(config.params)) {
      if (name !== 'table') {
        problems.push({
          path: ['params', name],
          message: 'is not a maintenance param; the only one is `table`',
        });
      }
    }
    const table = config.params.table;
    if (table && table.type !== 'string') {
      problems.push({ path: ['params', 'table'], message: 'must be of type string' });
    }
    for (const value of table?.type === 'string' ? (table.enum ?? []) : []) {
      if (!config.tables.includes(value)) {
        problems.push({ path: ['params', 'table', 'enum'], message: `${value} is not one of the tables` });
      }
    }
    return problems;
  },

  async plan(config, ctx) {
    const tables = selectedTables(config, ctx.params);
    const table = await tableStats(ctx.database(config.database), tables);
    const what = LABEL[config.operation];
    const names = tables.join(', ');
    return {
      summary: `${what} of ${tables.length === 1 ? names : `${tables.length} tables (${names})`}.`,
      table,
    };
  },

  async execute(config, ctx) {
    const tables = selectedTables(config, ctx.params);
    const pool = ctx.database(config.database);
    for (const [i, name] of tables.entries()) {
      ctx.progress(`${LABEL[config.operation]} ${name} (${i + 1} of ${tables.length})…`);
      await runOutsideTransaction(pool, config, name, ctx);
    }
    return {
      summary: `${LABEL[config.operation]} finished on ${tables.length} ${tables.length === 1 ? 'table' : 'tables'}.`,
      table: await tableStats(pool, tables),
    };
  },
};

/** Why the `table` argument may not be used, if it may not: only configured names are accepted. */
function tableProblem(config: MaintenanceAction, params: ParamValues): string | undefined {
  const table = params.table;
  if (table === undefined || table === '') return undefined;
  if (typeof table === 'string' && config.tables.includes(table)) return undefined;
  return `${String(table).slice(0, 64)} is not one of the tables this action maintains (${config.tables.join(', ')}).`;
}

/** The configured tables the run covers: the one named by `table`, or all of them. */
function selectedTables(config: MaintenanceAction, params: ParamValues): string[] {
  const problem = tableProblem(config, params);
  if (problem) throw new UserError(problem);
  const table = params.table;
  return typeof table === 'string' && table !== '' ? [table] : [...config.tables];
}

/** `"schema"."table"`; the name has already matched TABLE_NAME, so it holds no quote. */
export function quoteTable(name: string): string {
  if (!TABLE_NAME.test(name)) throw new Error(`Refusing table name ${JSON.stringify(name)}`);
  return name
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}

/** `public.jobs` for `jobs`: how pg_stat_user_tables names it. */
function qualified(name: string): { schema: string; table: string } {
  const [first, second] = name.split('.') as [string, string | undefined];
  return second === undefined ? { schema: 'public', table: first } : { schema: first, table: second };
}

/** One row per table: tuples, size and last maintenance, read from pg_stat_user_tables (fresh snapshot). */
async function tableStats(pool: Pool, tables: string[]): Promise<ResultTable> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_stat_clear_snapshot()');
    const rows: string[][] = [];
    for (const name of tables) {
      const { schema, table } = qualified(name);
      const { rows: found } = await client.query(
        `SELECT n_live_tup, n_dead_tup, pg_size_pretty(pg_total_relation_size(relid)) AS size,
                last_vacuum, last_autovacuum, last_analyze
           FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = $2`,
        [schema, table],
      );
      const row = found[0];
      rows.push(
        row
          ? [
              name,
              String(row.n_live_tup),
              String(row.n_dead_tup),
              String(row.size),
              when(row.last_vacuum),
              when(row.last_autovacuum),
              when(row.last_analyze),
            ]
          : [name, '∅', '∅', 'missing', '∅', '∅', '∅'],
      );
    }
    return {
      columns: ['table', 'live', 'dead', 'size', 'last_vacuum', 'last_autovacuum', 'last_analyze'],
      rows,
      total: rows.length,
    };
  } finally {
    client.release();
  }
}

function when(value: unknown): string {
  if (value instanceof Date) return value.toISOString().replace(/\.\d+Z$/, 'Z');
  return value === null || value === undefined ? 'never' : String(value);
}

/** One maintenance statement on a dedicated client, under a session statement timeout that is reset after. */
async function runOutsideTransaction(
  pool: Pool,
  config: MaintenanceAction,
  name: string,
  ctx: ActionContext,
): Promise<void> {
  const sql = `${STATEMENT[config.operation]} ${quoteTable(name)}`;
  const what = LABEL[config.operation];
  const client = await pool.connect();
  try {
    await setStatementTimeout(client, config.timeout, 'session');
    await client.query(sql);
    ctx.log.info({ table: name, operation: config.operation }, 'maintenance statement done');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (isStatementTimeout(error)) {
      throw new Error(
        `${what} of ${name} was stopped after its ${formatDuration(config.timeout)} timeout; the tables after it were not touched.`,
      );
    }
    if (code === '42P01') throw new Error(`Table ${name} does not exist in database ${config.database}.`);
    throw error;
  } finally {
    // A client whose timeout cannot be reset goes back to no pool: it is destroyed instead.
    const reset = await client.query('RESET statement_timeout').then(
      () => true,
      () => false,
    );
    client.release(!reset);
  }
}
