import { lstat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { z } from 'zod';
import { BackupKey, keyOf } from '../backup/crypto.js';
import { ARTIFACT_NAME, groupDigits, quoteIdent, quoteTable, TableName } from '../backup/format.js';
import { openVerifiedArtifact, type VerifiedArtifact } from '../backup/reader.js';
import { databaseProblems } from '../config/problems.js';
import { withTransaction } from '../db/transaction.js';
import { ForbiddenError, NotFoundError, OpsError, UserError } from '../errors.js';
import { ParamsSchema } from './params.js';
import { type ActionContext, type ActionKind, fixedParams } from './types.js';

/** The params of every restore: which artifact, and the service name typed again as a confirmation. */
const RESTORE_PARAMS = ParamsSchema.parse({
  file: {
    type: 'string',
    label: 'Backup file',
    pattern: ARTIFACT_NAME.source,
    max_length: 80,
    description: 'An artifact in the backup directory, e.g. bentham-20261123T190000Z-1a2b3c4d.opsbak',
  },
  confirm_service: {
    type: 'string',
    label: 'Type the service name to confirm',
    max_length: 40,
    description: 'Restore replaces the rows of the listed tables.',
  },
});

/** An ops.yml entry of kind `restore`: always admin, always high risk, never on production. */
export const RestoreActionSchema = z.strictObject({
  kind: z.literal('restore'),
  summary: z.string().min(1).max(150),
  role: z.literal('admin', { error: 'must be admin for restore' }).default('admin'),
  risk: z.literal('high', { error: 'must be high for restore' }).default('high'),
  params: fixedParams('restore', RESTORE_PARAMS),
  database: z.string().min(1),
  /** The directory backups are read from; `file` names an artifact inside it, nothing else. */
  directory: z.string().min(1),
  key: BackupKey,
  /** Must be exactly the tables of the artifact; COPY FROM follows the artifact's order. */
  tables: z
    .array(TableName)
    .min(1)
    .refine((tables) => new Set(tables).size === tables.length, 'lists a table twice'),
  /** TRUNCATE the tables (in the same transaction) before loading them. */
  truncate: z.boolean().default(true),
});

export type RestoreAction = z.infer<typeof RestoreActionSchema>;

/** Restores an artifact written by `backup` into a staging or development database, in one transaction. */
export const restoreKind: ActionKind<RestoreAction> = {
  kind: 'restore',
  configSchema: RestoreActionSchema,
  help: {
    line: 'Loads an artifact written by backup into a staging or development database, in one transaction; refused on production.',
    example: [
      'restore:  # /ops restore <service> <file> <service again, to confirm>',
      '  kind: restore',
      '  summary: Restore the account tables from a backup',
      '  database: main',
      '  tables: [users, accounts]',
      '  key: "${BACKUP_KEY}"',
      '  directory: /var/backups/opsbot/main',
    ].join('\n'),
  },
  // Destructive and confirmed by typing the service name: never one click away on an alert card.
  suggestable: false,
  // With truncate the result is the same however often it runs; without, a second run would add rows twice.
  idempotent: (config) => config.truncate,

  check(config, service) {
    return databaseProblems(config.database, service);
  },

  async plan(config, ctx) {
    const path = await refuseOrLocate(config, ctx);
    const artifact = await verified(config, path);
    try {
      const counts = await withTransaction(
        ctx.database(config.database),
        async (client) => {
          const now: number[] = [];
          for (const section of artifact.sections) {
            const result = await client.query<{ n: string }>(
              `SELECT count(*)::text AS n FROM ${quoteTable(section.table.name)}`,
            );
            now.push(Number(result.rows[0]?.n ?? 0));
          }
          return now;
        },
        'BEGIN READ ONLY',
      );
      const { manifest } = artifact;
      const total = manifest.tables.reduce((n, t) => n + t.rows, 0);
      const verb = config.truncate ? 'replace the rows of' : 'add rows to';
      return {
        summary:
          `The backup ${basename(path)} (service ${manifest.service}, ${manifest.created_at}, opsbot ${manifest.opsbot_version}) ` +
          `is authentic; restoring it would ${verb} ${manifest.tables.length} tables of database ${config.database} ` +
          `on ${ctx.service} (${ctx.environment}) with ${groupDigits(total)} rows, in one transaction.`,
        table: {
          columns: ['table', 'rows now', 'rows in backup'],
          rows: manifest.tables.map((t, i) => [t.name, groupDigits(counts[i] ?? 0), groupDigits(t.rows)]),
          total: manifest.tables.length,
        },
      };
    } catch (error) {
      throw failure(error, 'The restore plan could not be made');
    } finally {
      await artifact.close();
    }
  },

  async execute(config, ctx) {
    const path = await refuseOrLocate(config, ctx);
    const artifact = await verified(config, path);
    try {
      const restored = await withTransaction(ctx.database(config.database), async (client) => {
        if (config.truncate) {
          await client.query(
            `TRUNCATE ${artifact.manifest.tables.map((t) => quoteTable(t.name)).join(', ')}`,
          );
        }
        const rows: number[] = [];
        for (const section of artifact.sections) {
          rows.push(await loadTable(client, artifact, section, ctx));
        }
        return rows;
      });
      const total = restored.reduce((n, r) => n + r, 0);
      return {
        summary: `Restored ${groupDigits(total)} rows into ${restored.length} ${restored.length === 1 ? 'table' : 'tables'} of database ${config.database} from ${basename(path)}.`,
        table: {
          columns: ['table', 'rows'],
          rows: artifact.manifest.tables.map((t, i) => [t.name, groupDigits(restored[i] ?? 0)]),
          total: restored.length,
        },
      };
    } catch (error) {
      throw failure(error, 'The restore failed');
    } finally {
      await artifact.close();
    }
  },
};

/** COPY FROM one table's verified rows; the count must be the manifest's. */
async function loadTable(
  client: PoolClient,
  artifact: VerifiedArtifact,
  section: VerifiedArtifact['sections'][number],
  ctx: ActionContext,
): Promise<number> {
  const { table } = section;
  const copy = client.query(
    copyFrom(
      `COPY ${quoteTable(table.name)} (${table.columns.map(quoteIdent).join(', ')}) FROM STDIN WITH (FORMAT csv)`,
    ),
  );
  ctx.progress(`${table.name}: restoring ${groupDigits(table.rows)} rows`);
  try {
    await pipeline(artifact.rows(section), copy);
  } catch (error) {
    throw new TableError(table.name, error);
  }
  if (copy.rowCount !== table.rows) {
    throw new TableError(
      table.name,
      new Error(`${copy.rowCount} rows were loaded, the manifest says ${table.rows}`),
    );
  }
  await resetSequences(client, table.name);
  ctx.progress(`${table.name}: ${groupDigits(copy.rowCount)} rows restored`);
  return copy.rowCount;
}

/** Moves each serial/identity sequence of the table past the restored values, so inserts keep working. */
async function resetSequences(client: PoolClient, table: string): Promise<void> {
  const owned = await client.query<{ attname: string; seq: string }>(
    `SELECT a.attname, pg_get_serial_sequence($1, a.attname) AS seq
       FROM pg_attribute a
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
        AND pg_get_serial_sequence($1, a.attname) IS NOT NULL`,
    [quoteTable(table)],
  );
  for (const { attname, seq } of owned.rows) {
    await client.query(
      `SELECT setval($1::regclass, COALESCE((SELECT max(${quoteIdent(attname)}) FROM ${quoteTable(table)}), 0) + 1, false)`,
      [seq],
    );
  }
}

class TableError extends Error {
  constructor(
    readonly table: string,
    reason: unknown,
  ) {
    super(reason instanceof Error ? reason.message : String(reason));
  }
}

/** One sentence for the run card; expected refusals pass through unchanged. */
function failure(error: unknown, what: string): Error {
  if (error instanceof OpsError) return error;
  const detail = (error instanceof Error ? error.message : String(error)).split('\n')[0]?.replace(/\.$/, '');
  const where = error instanceof TableError ? ` on table ${error.table}` : '';
  return new OpsError(
    'conflict',
    `${what}${where}: ${detail}; nothing was restored (the transaction was rolled back).`,
  );
}

/** The refusals a restore owes before anything else, then the artifact's path inside the directory. */
async function refuseOrLocate(config: RestoreAction, ctx: ActionContext): Promise<string> {
  if (ctx.environment === 'production') {
    throw new ForbiddenError(
      `Restore refuses ${ctx.service}: it is a production service; restore into a staging or development clone.`,
    );
  }
  if (ctx.params.confirm_service !== ctx.service) {
    throw new UserError(
      `The service name typed to confirm does not match ${ctx.service}; nothing was restored.`,
    );
  }
  const file = ctx.params.file;
  if (typeof file !== 'string' || basename(file) !== file || !ARTIFACT_NAME.test(file)) {
    throw new UserError(
      'The file must be the name of a backup artifact in the backup directory, such as bentham-20261123T190000Z-1a2b3c4d.opsbak.',
    );
  }
  const directory = resolve(config.directory);
  const path = join(directory, file);
  const stat = await lstat(path).catch(() => undefined);
  if (!stat?.isFile()) throw new NotFoundError(`There is no backup ${file} in ${directory}.`);
  return path;
}

/** Decrypts and verifies the artifact; its tables must be exactly the configured ones. */
async function verified(config: RestoreAction, path: string): Promise<VerifiedArtifact> {
  const artifact = await openVerifiedArtifact(path, keyOf(config.key));
  const inBackup = artifact.manifest.tables.map((t) => t.name);
  const same =
    inBackup.length === config.tables.length && inBackup.every((name) => config.tables.includes(name));
  if (!same) {
    await artifact.close();
    throw new UserError(
      `The backup holds tables ${inBackup.join(', ')} but this restore is configured for ${config.tables.join(', ')}; nothing was restored.`,
    );
  }
  return artifact;
}
