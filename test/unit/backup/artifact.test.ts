import { createHash } from 'node:crypto';
import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BackupAuthError,
  decodeKey,
  decryptToFile,
  generateKey,
  keyOf,
  NOT_AUTHENTIC,
  writeEncrypted,
} from '../../../src/backup/crypto.js';
import {
  ARTIFACT_NAME,
  artifactName,
  encodeFrame,
  FrameType,
  HEADER_BYTES,
  quoteTable,
  TAG_BYTES,
} from '../../../src/backup/format.js';
import type { Manifest } from '../../../src/backup/manifest.js';
import { openVerifiedArtifact, verifyPlaintext } from '../../../src/backup/reader.js';
import { UserError } from '../../../src/errors.js';

let dir: string;
const key = keyOf(generateKey());

const rows = Buffer.from('1,"a,b"\n2,\n3,""\n');
const manifest = (overrides: Partial<Manifest['tables'][number]> = {}): Manifest => ({
  format: 1,
  opsbot_version: '0.1.0',
  service: 'benchcode',
  database: 'main',
  created_at: '2026-11-23T19:00:00.000Z',
  tables: [
    {
      name: 'users',
      columns: ['id', 'note'],
      rows: 3,
      bytes: rows.length,
      sha256: createHash('sha256').update(rows).digest('hex'),
      ...overrides,
    },
  ],
});

function frames(m: Manifest = manifest(), data = rows): Buffer[] {
  return [
    encodeFrame(FrameType.table, Buffer.from('users')),
    encodeFrame(FrameType.data, data.subarray(0, 5)),
    encodeFrame(FrameType.data, data.subarray(5)),
    encodeFrame(FrameType.manifest, Buffer.from(JSON.stringify(m))),
  ];
}

async function artifact(name: string, parts = frames(), k = key): Promise<string> {
  const path = join(dir, name);
  await writeEncrypted(path, k, Readable.from(parts, { objectMode: false }));
  return path;
}

async function verifyPlain(parts: Buffer[]) {
  const path = join(dir, `plain-${Math.random()}`);
  await writeFile(path, Buffer.concat(parts));
  const file = await open(path, 'r');
  try {
    return await verifyPlaintext(file, (await file.stat()).size);
  } finally {
    await file.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'opsbot-artifact-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('keys', () => {
  it('accepts exactly 32 bytes of canonical base64', () => {
    expect(decodeKey(generateKey())).toHaveLength(32);
    expect(decodeKey(Buffer.alloc(31).toString('base64'))).toBeUndefined();
    expect(decodeKey(Buffer.alloc(33).toString('base64'))).toBeUndefined();
    expect(decodeKey('not base64 at all!')).toBeUndefined();
    expect(() => keyOf('short')).toThrow(/base64 256-bit key/);
    expect(() => keyOf('short')).not.toThrow(/short/);
  });
});

describe('artifact', () => {
  it('round-trips: header, ciphertext, tag; the plaintext verifies against its manifest', async () => {
    const path = await artifact('ok.opsbak');
    const bytes = await readFile(path);
    expect(bytes.length).toBe(HEADER_BYTES + Buffer.concat(frames()).length + TAG_BYTES);
    const opened = await openVerifiedArtifact(path, key);
    try {
      expect(opened.manifest.tables[0]?.name).toBe('users');
      const chunks: Buffer[] = [];
      for await (const chunk of opened.rows(opened.sections[0]!)) chunks.push(chunk);
      expect(Buffer.concat(chunks).equals(rows)).toBe(true);
    } finally {
      await opened.close();
    }
  });

  it('refuses every single flipped byte, anywhere in the file, as not authentic', async () => {
    const path = await artifact('flip.opsbak');
    const original = await readFile(path);
    // Magic and version (first 8 bytes) are refused as "not an opsbot backup"; everything else by the tag.
    for (let at = 8; at < original.length; at += 1) {
      const copy = Buffer.from(original);
      copy[at] = (copy[at] ?? 0) ^ 0x80;
      const bad = join(dir, `flip-${at}.opsbak`);
      await writeFile(bad, copy);
      const error = await decryptToFile(bad, key, join(dir, `flip-${at}.plain`)).catch((e: unknown) => e);
      expect(error, `byte ${at}`).toBeInstanceOf(BackupAuthError);
      expect((error as Error).message).toBe(NOT_AUTHENTIC);
    }
    const magic = Buffer.from(original);
    magic[0] = 0;
    await writeFile(join(dir, 'magic.opsbak'), magic);
    await expect(openVerifiedArtifact(join(dir, 'magic.opsbak'), key)).rejects.toThrow(
      /not an opsbot backup/,
    );
  });

  it('refuses a wrong key and leaves no plaintext behind', async () => {
    const path = await artifact('key.opsbak');
    const leftovers = async () =>
      (await readdir(tmpdir())).filter((name) => name.startsWith('opsbot-restore-')).sort();
    const before = await leftovers();
    await expect(openVerifiedArtifact(path, keyOf(generateKey()))).rejects.toThrow(NOT_AUTHENTIC);
    expect(await leftovers()).toEqual(before);
  });

  it('refuses an authentic artifact whose data does not match its manifest', async () => {
    const wrongSum = await artifact('sum.opsbak', frames(manifest({ sha256: 'a'.repeat(64) })));
    await expect(openVerifiedArtifact(wrongSum, key)).rejects.toThrow(/does not match its checksum/);
  });
});

describe('plaintext structure', () => {
  it('needs a manifest last, tables before rows, and the manifest tables in order', async () => {
    const [t, d1, d2, m] = frames() as [Buffer, Buffer, Buffer, Buffer];
    await expect(verifyPlain([t, d1, d2])).rejects.toThrow(/no manifest/);
    await expect(verifyPlain([d1, t, d2, m])).rejects.toThrow(/rows before any table/);
    await expect(verifyPlain([t, d1, d2, m, d1])).rejects.toThrow(/data after the manifest/);
    await expect(verifyPlain([t, d1, m])).rejects.toThrow(/does not match its checksum/);
    await expect(verifyPlain([t, d1, d2, m.subarray(0, m.length - 1)])).rejects.toThrow(/cut short/);
    await expect(
      verifyPlain([t, d1, d2, encodeFrame(FrameType.manifest, Buffer.from('{"format":1}'))]),
    ).rejects.toThrow(/expected shape/);
    const huge = Buffer.alloc(5);
    huge.writeUInt8(FrameType.data, 0);
    huge.writeUInt32BE(0xffffffff, 1);
    await expect(verifyPlain([t, huge])).rejects.toThrow(/too large/);
    const verified = await verifyPlain([t, d1, d2, m]);
    expect(verified.sections[0]?.end).toBe(t.length + d1.length + d2.length);
  });

  it('reports malformed input as a user error, not a crash', async () => {
    await expect(verifyPlain([Buffer.from([0x5a, 0, 0, 0, 0])])).rejects.toBeInstanceOf(UserError);
  });
});

describe('names', () => {
  it('quotes configured identifiers and refuses anything else', () => {
    expect(quoteTable('users')).toBe('"users"');
    expect(quoteTable('gov.order')).toBe('"gov"."order"');
    for (const hostile of ['users"; DROP TABLE x; --', 'a b', 'A', 'a.b.c', '']) {
      expect(() => quoteTable(hostile)).toThrow();
    }
  });

  it('names artifacts so that only those names are accepted as a restore file', () => {
    const name = artifactName('benchcode', new Date('2026-11-23T19:04:05.123Z'), '1a2b3c4d');
    expect(name).toBe('benchcode-20261123T190405Z-1a2b3c4d.opsbak');
    expect(ARTIFACT_NAME.test(name)).toBe(true);
    for (const bad of [`../${name}`, `${name}/..`, `x/${name}`, `${name}.partial`, `.${name}`]) {
      expect(ARTIFACT_NAME.test(bad), bad).toBe(false);
    }
  });
});
