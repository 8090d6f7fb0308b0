import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { BackupKey, keyOf } from '../backup/crypto.js';
import { artifactName, formatBytes, groupDigits, quoteTable, TableName } from '../backup/format.js';
import { tableColumns, writeBackup } from '../backup/writer.js';
import { databaseProblems } from '../config/problems.js';
import { timedTransaction } from '../db/target-sql.js';
import { type ActionKind, baseActionFields, fixedParams } from './types.js';

/** Above this estimate (pg_class.reltuples) plan() shows the estimate instead of counting. */
const COUNT_BELOW = 100_000;
/** How long plan()'s counting may take, each statement. */
const PLAN_TIMEOUT_MS = 10_000;

/** An ops.yml entry of kind `backup`: tables of one database, to an encrypted artifact in a directory. */
export const BackupActionSchema = z.strictObject({
  kind: z.literal('backup'),
  ...baseActionFields,
  params: fixedParams('backup', {}),
  database: z.string().min(1),
  tables: z
    .array(TableName)
    .min(1)
    .refine((tables) => new Set(tables).size === tables.length, 'lists a table twice'),
  /** The service's base64 256-bit key, written `${ENV}` in ops.yml. */
  key: BackupKey,
  /** Where artifacts are written (created if missing); relative paths are from opsbot's working directory. */
  directory: z.string().min(1),
});

export type BackupAction = z.infer<typeof BackupActionSchema>;

/** Encrypted backup of configured tables (DESIGN §1 BenchCode, Redmine; §8): AES-256-GCM, with a manifest. */
export const backupKind: ActionKind<BackupAction> = {
  kind: 'backup',
  configSchema: BackupActionSchema,
  help: {
    line: 'Writes listed tables of a database of the service to an encrypted artifact (AES-256-GCM, with a manifest) in a directory.',
    example: [
      'backup:  # /ops backup <service>',
      '  kind: backup',
      '  summary: Encrypted backup of the account tables',
      '  database: main',
      '  tables: [users, accounts]',
      '  key: "${BACKUP_KEY}"  # opsbot keygen prints one',
      '  directory: /var/backups/opsbot/main',
    ].join('\n'),
  },
  idempotent: () => true,

  check(config, service) {
    return databaseProblems(config.database, service);
  },

  async plan(config, ctx) {
    const rows = await timedTransaction(
      ctx.database(config.database),
      { timeoutMs: PLAN_TIMEOUT_MS, begin: 'BEGIN READ ONLY' },
      async (client) => {
        const counted: string[][] = [];
        for (const table of config.tables) {
          await tableColumns(client, table, config.database);
          const estimate = await client.query<{ n: string }>(
            'SELECT reltuples::bigint::text AS n FROM pg_class WHERE oid = to_regclass($1)',
            [quoteTable(table)],
          );
          const n = Number(estimate.rows[0]?.n ?? -1);
          if (n >= COUNT_BELOW) {
            counted.push([table, `~${groupDigits(n)}`]);
          } else {
            const exact = await client.query<{ n: string }>(
              `SELECT count(*)::text AS n FROM ${quoteTable(table)}`,
            );
            counted.push([table, groupDigits(Number(exact.rows[0]?.n ?? 0))]);
          }
        }
        return counted;
      },
    );
    const plural = config.tables.length === 1 ? 'table' : 'tables';
    return {
      summary: `${config.tables.length} ${plural} of database ${config.database} would be backed up, encrypted, to ${resolve(config.directory)}.`,
      table: { columns: ['table', 'rows'], rows, total: rows.length },
    };
  },

  async execute(config, ctx) {
    const key = keyOf(config.key);
    const directory = resolve(config.directory);
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const createdAt = new Date();
    const path = join(directory, artifactName(ctx.service, createdAt, randomBytes(4).toString('hex')));
    const partial = `${path}.partial`;
    const pool = ctx.database(config.database);
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const { manifest, size } = await writeBackup(
        client,
        { service: ctx.service, database: config.database, tables: config.tables },
        key,
        partial,
        (table, rows) => ctx.progress(`${table}: ${groupDigits(rows)} rows`),
        createdAt,
      );
      await client.query('COMMIT');
      await rename(partial, path);
      const total = manifest.tables.reduce((n, t) => n + t.rows, 0);
      ctx.log.info({ path, size, rows: total }, 'backup written');
      return {
        summary: `Backed up ${groupDigits(total)} rows from ${manifest.tables.length} ${manifest.tables.length === 1 ? 'table' : 'tables'} to ${path} (${formatBytes(size)}).`,
        table: {
          columns: ['table', 'rows', 'sha256'],
          rows: manifest.tables.map((t) => [t.name, groupDigits(t.rows), t.sha256.slice(0, 12)]),
          total: manifest.tables.length,
        },
      };
    } catch (error) {
      // A connection cut off mid-COPY is not reusable: destroy it rather than return it to the pool.
      broken = error instanceof Error ? error : new Error(String(error));
      await rm(partial, { force: true });
      throw error;
    } finally {
      client.release(broken);
    }
  },
};
