import { createHash } from 'node:crypto';
import { type FileHandle, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { decryptToFile } from './crypto.js';
import { FRAME_HEAD_BYTES, FrameType, MAX_FRAME_BYTES } from './format.js';
import { Manifest, type ManifestTable } from './manifest.js';

export interface Frame {
  type: number;
  data: Buffer;
}

/** A table's place in the plaintext: its `D` frames lie in [start, end). */
export interface TableSection {
  table: ManifestTable;
  start: number;
  end: number;
}

/** An artifact whose tag and manifest have been verified, decrypted into a private temporary file. */
export interface VerifiedArtifact {
  manifest: Manifest;
  sections: TableSection[];
  /** The table's rows (CSV), chunk by chunk, straight from the verified plaintext. */
  rows(section: TableSection): AsyncGenerator<Buffer>;
  /** Deletes the plaintext; always call it (in a finally). */
  close(): Promise<void>;
}

const malformed = (why: string) => new UserError(`The backup is authentic but malformed (${why}).`);

/** Reads frames from `start` up to `end`, one at a time; no frame may exceed MAX_FRAME_BYTES. */
export async function* readFrames(
  file: FileHandle,
  start: number,
  end: number,
): AsyncGenerator<Frame & { at: number }> {
  const head = Buffer.alloc(FRAME_HEAD_BYTES);
  let at = start;
  while (at < end) {
    if (end - at < FRAME_HEAD_BYTES) throw malformed('a frame is cut short');
    await readExactly(file, head, at);
    const type = head.readUInt8(0);
    const length = head.readUInt32BE(1);
    if (length > MAX_FRAME_BYTES) throw malformed('a frame is too large');
    if (at + FRAME_HEAD_BYTES + length > end) throw malformed('a frame is cut short');
    const data = Buffer.alloc(length);
    await readExactly(file, data, at + FRAME_HEAD_BYTES);
    yield { type, data, at };
    at += FRAME_HEAD_BYTES + length;
  }
}

async function readExactly(file: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await file.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) throw malformed('the file ended early');
    done += bytesRead;
  }
}

/**
 * Walks the plaintext once: the frames must be (T D*)+ M with nothing after M, the manifest must parse,
 * and each table's name, byte count and sha256 must match the manifest's entry, in order.
 */
export async function verifyPlaintext(
  file: FileHandle,
  size: number,
): Promise<{ manifest: Manifest; sections: TableSection[] }> {
  const seen: { name: string; start: number; end: number; bytes: number; sha256: string }[] = [];
  let current:
    | { name: string; start: number; bytes: number; hash: ReturnType<typeof createHash> }
    | undefined;
  let manifestText: string | undefined;
  const close = (end: number) => {
    if (!current) return;
    seen.push({
      name: current.name,
      start: current.start,
      end,
      bytes: current.bytes,
      sha256: current.hash.digest('hex'),
    });
    current = undefined;
  };
  for await (const frame of readFrames(file, 0, size)) {
    if (manifestText !== undefined) throw malformed('data after the manifest');
    if (frame.type === FrameType.table) {
      close(frame.at);
      current = {
        name: frame.data.toString('utf8'),
        start: frame.at + FRAME_HEAD_BYTES + frame.data.length,
        bytes: 0,
        hash: createHash('sha256'),
      };
    } else if (frame.type === FrameType.data) {
      if (!current) throw malformed('rows before any table');
      current.hash.update(frame.data);
      current.bytes += frame.data.length;
    } else if (frame.type === FrameType.manifest) {
      close(frame.at);
      manifestText = frame.data.toString('utf8');
    } else {
      throw malformed(`unknown frame type ${frame.type}`);
    }
  }
  if (manifestText === undefined) throw malformed('no manifest');
  let parsed: ReturnType<typeof Manifest.safeParse>;
  try {
    parsed = Manifest.safeParse(JSON.parse(manifestText));
  } catch {
    throw malformed('the manifest is not JSON');
  }
  if (!parsed.success) throw malformed('the manifest does not have the expected shape');
  const manifest = parsed.data;
  if (manifest.tables.length !== seen.length)
    throw malformed('the manifest and the data list different tables');
  const sections = manifest.tables.map((table, i) => {
    const found = seen[i]!;
    if (found.name !== table.name)
      throw malformed(`table ${i + 1} is ${found.name}, the manifest says ${table.name}`);
    if (found.bytes !== table.bytes || found.sha256 !== table.sha256) {
      throw malformed(`the data of ${table.name} does not match its checksum`);
    }
    return { table, start: found.start, end: found.end };
  });
  return { manifest, sections };
}

/**
 * Decrypts `path` into a private temporary file, verifies the tag and then the manifest and checksums.
 * Nothing is returned, and nothing can be written anywhere, unless all of that passed.
 */
export async function openVerifiedArtifact(path: string, key: Buffer): Promise<VerifiedArtifact> {
  const dir = await mkdtemp(join(tmpdir(), 'opsbot-restore-'));
  const plaintextPath = join(dir, 'plaintext');
  let file: FileHandle | undefined;
  const cleanup = async () => {
    await file?.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await decryptToFile(path, key, plaintextPath);
    file = await open(plaintextPath, 'r');
    const { size } = await file.stat();
    const { manifest, sections } = await verifyPlaintext(file, size);
    const handle = file;
    return {
      manifest,
      sections,
      async *rows(section) {
        for await (const frame of readFrames(handle, section.start, section.end)) yield frame.data;
      },
      close: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
