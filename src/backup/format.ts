/**
 * The `.opsbak` artifact (one file per backup):
 *
 *   header   8-byte magic "OPSBAK\0" + format version (1 byte), then the 12-byte GCM IV  (plaintext, 20 bytes)
 *   body     AES-256-GCM ciphertext of a sequence of frames (the header is the GCM additional data)
 *   tag      the 16-byte GCM authentication tag, last in the file
 *
 * A frame is its type (1 byte), the length of its data (4 bytes, big-endian) and the data:
 *   `T` starts a table: its name (UTF-8); the `D` frames that follow are its rows
 *   `D` a chunk of the current table's rows, as `COPY ... TO STDOUT WITH (FORMAT csv)` wrote them
 *   `M` the manifest (JSON), always the last frame
 */
import { z } from 'zod';

export const MAGIC = Buffer.from('OPSBAK\0', 'latin1');
export const FORMAT_VERSION = 1;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
export const HEADER_BYTES = MAGIC.length + 1 + IV_BYTES;
export const FRAME_HEAD_BYTES = 5;
/** Table data is cut into frames of about this size, so no frame holds much of a table. */
export const DATA_FRAME_BYTES = 64 * 1024;
/** No frame may claim more than this (the manifest of many tables stays far below it). */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
export const ARTIFACT_EXTENSION = '.opsbak';

export const FrameType = { table: 0x54, data: 0x44, manifest: 0x4d } as const;
export type FrameTypeCode = (typeof FrameType)[keyof typeof FrameType];

export function encodeHeader(iv: Buffer): Buffer {
  return Buffer.concat([MAGIC, Buffer.from([FORMAT_VERSION]), iv]);
}

export function encodeFrame(type: FrameTypeCode, data: Buffer): Buffer {
  const head = Buffer.alloc(FRAME_HEAD_BYTES);
  head.writeUInt8(type, 0);
  head.writeUInt32BE(data.length, 1);
  return Buffer.concat([head, data]);
}

/**
 * A table as configured: `name` or `schema.name`, lower-case identifiers only. It comes from ops.yml, never
 * from a param, and is always quoted when it reaches SQL (DESIGN §8).
 */
export const TABLE_NAME = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;
export const TableName = z
  .string()
  .max(127)
  .regex(TABLE_NAME, 'must be a table name such as users or audit.events (lower-case letters, digits, _)');

/** Quotes any identifier for SQL, doubling embedded quotes (column names read from the catalog). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `audit.events` → `"audit"."events"`; the name must match TABLE_NAME. */
export function quoteTable(name: string): string {
  if (!TABLE_NAME.test(name)) throw new Error(`Refusing table name ${JSON.stringify(name)}`);
  return name.split('.').map(quoteIdent).join('.');
}

/** `bentham-20261123T190000Z-1a2b3c4d.opsbak`: the only names a restore accepts for its `file` param. */
export const ARTIFACT_NAME = /^[a-z][a-z0-9-]{0,39}-\d{8}T\d{6}Z-[0-9a-f]{8}\.opsbak$/;

export function artifactName(service: string, at: Date, suffix: string): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${service}-${stamp}-${suffix}${ARTIFACT_EXTENSION}`;
}

/** `1234567` → `1 234 567`. */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
