import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { NotFoundError } from '../errors.js';
import { writeEncrypted } from './crypto.js';
import { DATA_FRAME_BYTES, encodeFrame, FrameType, quoteIdent, quoteTable } from './format.js';
import { type Manifest, type ManifestTable, opsbotVersion } from './manifest.js';

export interface BackupSource {
  service: string;
  database: string;
  tables: readonly string[];
}

/** Called as rows stream out: the table being read and its rows so far. */
export type RowProgress = (table: string, rows: number) => void;

/** The columns COPY reads and writes for a table, in table order (generated columns left out). */
export async function tableColumns(client: PoolClient, table: string, database: string): Promise<string[]> {
  const found = await client.query<{ oid: string | null }>(
    "SELECT c.oid::text AS oid FROM pg_class c WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p')",
    [quoteTable(table)],
  );
  if (!found.rows[0]?.oid) throw new NotFoundError(`Table ${table} does not exist in database ${database}.`);
  const result = await client.query<{ attname: string }>(
    `SELECT a.attname FROM pg_attribute a
      WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      ORDER BY a.attnum`,
    [found.rows[0].oid],
  );
  return result.rows.map((row) => row.attname);
}

/**
 * The plaintext of an artifact: for each table a `T` frame then its rows in `D` frames of about
 * DATA_FRAME_BYTES, then the manifest. Rows are pulled from COPY only as fast as the consumer takes them.
 */
async function* plaintextFrames(
  client: PoolClient,
  source: BackupSource,
  createdAt: Date,
  progress: RowProgress,
  done: (manifest: Manifest) => void,
): AsyncGenerator<Buffer> {
  const tables: ManifestTable[] = [];
  for (const name of source.tables) {
    const columns = await tableColumns(client, name, source.database);
    yield encodeFrame(FrameType.table, Buffer.from(name, 'utf8'));
    const hash = createHash('sha256');
    let bytes = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    // COPY reports its row count only at the end; lines so far are what progress shows meanwhile
    // (a value with a newline in it counts twice, so this is an estimate until the table is done).
    let lines = 0;
    const copy = client.query(
      copyTo(
        `COPY (SELECT ${columns.map(quoteIdent).join(', ')} FROM ${quoteTable(name)}) TO STDOUT WITH (FORMAT csv)`,
      ),
    );
    for await (const chunk of copy as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
      pending.push(chunk);
      pendingBytes += chunk.length;
      lines += countLines(chunk);
      if (pendingBytes >= DATA_FRAME_BYTES) {
        yield encodeFrame(FrameType.data, Buffer.concat(pending, pendingBytes));
        pending = [];
        pendingBytes = 0;
        progress(name, lines);
      }
    }
    if (pendingBytes > 0) yield encodeFrame(FrameType.data, Buffer.concat(pending, pendingBytes));
    progress(name, copy.rowCount);
    tables.push({ name, columns, rows: copy.rowCount, bytes, sha256: hash.digest('hex') });
  }
  const manifest: Manifest = {
    format: 1,
    opsbot_version: opsbotVersion(),
    service: source.service,
    database: source.database,
    created_at: createdAt.toISOString(),
    tables,
  };
  yield encodeFrame(FrameType.manifest, Buffer.from(JSON.stringify(manifest), 'utf8'));
  done(manifest);
}

/**
 * Writes an encrypted artifact of `source.tables` to `path`, read from `client` in the transaction the
 * caller opened (one snapshot for all tables). Returns the manifest and the file's size.
 */
export async function writeBackup(
  client: PoolClient,
  source: BackupSource,
  key: Buffer,
  path: string,
  progress: RowProgress,
  createdAt = new Date(),
): Promise<{ manifest: Manifest; size: number }> {
  let manifest: Manifest | undefined;
  const frames = plaintextFrames(client, source, createdAt, progress, (m) => {
    manifest = m;
  });
  const size = await writeEncrypted(path, key, Readable.from(frames, { objectMode: false }));
  if (!manifest) throw new Error('The backup ended before its manifest was written.');
  return { manifest, size };
}

function countLines(chunk: Buffer): number {
  let n = 0;
  for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) n += 1;
  return n;
}
