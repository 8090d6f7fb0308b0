import { createCipheriv, createDecipheriv, type DecipherGCM, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { encodeHeader, FORMAT_VERSION, HEADER_BYTES, IV_BYTES, MAGIC, TAG_BYTES } from './format.js';

export const KEY_BYTES = 32;

/** Says nothing of the value: the key must never appear in a message or a log. */
const KEY_MESSAGE = 'must be a base64 256-bit key (32 bytes); generate one with `opsbot keygen`';

/** The decoded key, or undefined when the text is not canonical base64 of exactly 32 bytes. */
export function decodeKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) return undefined;
  const key = Buffer.from(trimmed, 'base64');
  return key.length === KEY_BYTES ? key : undefined;
}

/** A backup key in ops.yml (written `${ENV}`, resolved at load): base64 text, checked, kept as text. */
export const BackupKey = z.string().refine((text) => decodeKey(text) !== undefined, KEY_MESSAGE);

export function keyOf(text: string): Buffer {
  const key = decodeKey(text);
  if (!key) throw new UserError(`The backup key ${KEY_MESSAGE}.`);
  return key;
}

/** A new key for `opsbot keygen`. */
export function generateKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/** The one sentence for a wrong key or a modified file; nothing tells them apart, by design of GCM. */
export const NOT_AUTHENTIC =
  'The backup could not be authenticated (wrong key or a modified file); nothing was restored.';

export class BackupAuthError extends UserError {
  constructor(message = NOT_AUTHENTIC) {
    super(message);
  }
}

/**
 * Encrypts `plaintext` into `path` as header + ciphertext + tag, streaming with backpressure.
 * The file is created (it must not exist) with mode 0600 and fsynced; returns its size in bytes.
 */
export async function writeEncrypted(path: string, key: Buffer, plaintext: Readable): Promise<number> {
  const iv = randomBytes(IV_BYTES);
  const header = encodeHeader(iv);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(header);
  let size = 0;
  await pipeline(
    plaintext,
    cipher,
    async function* (source: AsyncIterable<Buffer>) {
      yield header;
      for await (const chunk of source) yield chunk;
      // The cipher has flushed when its output ends, so the tag is ready.
      yield cipher.getAuthTag();
    },
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        size += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(path, { flags: 'wx', mode: 0o600 }),
  );
  const written = await open(path, 'r+');
  try {
    await written.sync();
  } finally {
    await written.close();
  }
  return size;
}

/**
 * Decrypts the artifact at `path` into `plaintextPath` (created, mode 0600) and verifies the GCM tag.
 * Throws BackupAuthError for a wrong key or any modified byte (header included), UserError for a file
 * that is not an artifact at all. The caller must not use the plaintext unless this resolves.
 */
export async function decryptToFile(path: string, key: Buffer, plaintextPath: string): Promise<void> {
  const file = await open(path, 'r');
  let decipher: DecipherGCM;
  let size: number;
  try {
    size = (await file.stat()).size;
    if (size <= HEADER_BYTES + TAG_BYTES)
      throw new UserError('The file is not an opsbot backup (too short).');
    const header = Buffer.alloc(HEADER_BYTES);
    await file.read(header, 0, HEADER_BYTES, 0);
    if (!header.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new UserError('The file is not an opsbot backup (no OPSBAK header).');
    }
    const version = header[MAGIC.length];
    if (version !== FORMAT_VERSION) {
      throw new UserError(`The backup is in format ${version}, which this opsbot cannot read.`);
    }
    const tag = Buffer.alloc(TAG_BYTES);
    await file.read(tag, 0, TAG_BYTES, size - TAG_BYTES);
    decipher = createDecipheriv('aes-256-gcm', key, header.subarray(MAGIC.length + 1));
    decipher.setAAD(header);
    decipher.setAuthTag(tag);
  } catch (error) {
    await file.close();
    throw error;
  }
  try {
    await pipeline(
      file.createReadStream({ start: HEADER_BYTES, end: size - TAG_BYTES - 1 }),
      decipher,
      createWriteStream(plaintextPath, { flags: 'wx', mode: 0o600 }),
    );
  } catch (error) {
    if (error instanceof Error && /unable to authenticate|auth/i.test(error.message)) {
      throw new BackupAuthError();
    }
    throw error;
  }
}
