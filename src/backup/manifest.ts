import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { FORMAT_VERSION, TableName } from './format.js';

/** One table of a backup: its columns (in COPY order), how many rows, and the sha256 of its CSV data. */
export const ManifestTable = z.strictObject({
  name: TableName,
  columns: z.array(z.string().min(1).max(63)).min(1),
  rows: z.number().int().min(0),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ManifestTable = z.infer<typeof ManifestTable>;

/** The last frame of every artifact; it describes and checks everything before it. */
export const Manifest = z.strictObject({
  format: z.literal(FORMAT_VERSION),
  opsbot_version: z.string(),
  service: z.string(),
  database: z.string(),
  created_at: z.string(),
  tables: z.array(ManifestTable).min(1),
});
export type Manifest = z.infer<typeof Manifest>;

let version: string | undefined;

/** opsbot's version from package.json (two levels up from both src/backup and dist/backup). */
export function opsbotVersion(): string {
  if (version === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        version?: unknown;
      };
      version = typeof pkg.version === 'string' ? pkg.version : 'unknown';
    } catch {
      version = 'unknown';
    }
  }
  return version;
}
