import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Redactor } from './redactor.js';

/** A line longer than this is cut into pieces: redaction and Slack both work on bounded lines. */
const MAX_LINE = 4_000;
/** Lines kept in memory for the live view and a failure's summary; the rest is only in the file. */
const TAIL_LINES = 200;
/** What the file keeps at most; beyond it, output is counted but dropped, and the file says so. */
const FILE_CAP_BYTES = 64 * 1024 * 1024;
/** Bytes gathered before they are written to the file. */
const FLUSH_BYTES = 64 * 1024;

/** What a finished output came to. */
export interface OutputSummary {
  lines: number;
  bytes: number;
  /** Path of the whole (redacted) output, up to FILE_CAP_BYTES. */
  path: string;
  /** The file stopped at its cap; `bytes` counts everything. */
  truncated: boolean;
}

/**
 * A command's output as it comes: decoded, cut into lines, each line redacted before anything keeps it.
 * Memory holds only the last TAIL_LINES lines; the whole output is spooled to a temporary file, so a
 * command that prints 10 MB costs a file, not 10 MB of heap.
 */
export class CommandOutput {
  private readonly decoder = new StringDecoder('utf8');
  private readonly tail: string[] = [];
  private partial = '';
  private pending: string[] = [];
  private pendingBytes = 0;
  private fileBytes = 0;
  private totalLines = 0;
  private totalBytes = 0;
  private truncated = false;
  private readonly dir: string;
  private readonly path: string;
  private fd: number | undefined;

  constructor(private readonly redactor: Redactor) {
    this.dir = mkdtempSync(join(tmpdir(), 'opsbot-output-'));
    this.path = join(this.dir, 'output.log');
    this.fd = openSync(this.path, 'w', 0o600);
  }

  /** A chunk of stdout or stderr, as it came (it may end mid-line or mid-character). */
  write(chunk: Buffer | string): void {
    this.totalBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    this.take(typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
  }

  /** The last `n` lines, redacted. */
  lastLines(n: number): string[] {
    const lines = this.partial ? [...this.tail, this.redactor.redact(this.partial)] : this.tail;
    return lines.slice(-n);
  }

  /** Lines and bytes so far. */
  get size(): { lines: number; bytes: number } {
    return { lines: this.totalLines + (this.partial ? 1 : 0), bytes: this.totalBytes };
  }

  /** Ends the output: the last partial line is kept, the file closed. */
  finish(): OutputSummary {
    this.take(this.decoder.end());
    if (this.partial) this.line(this.partial);
    this.partial = '';
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    return { lines: this.totalLines, bytes: this.totalBytes, path: this.path, truncated: this.truncated };
  }

  /** Removes the spooled file. */
  dispose(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }

  private take(text: string): void {
    if (!text) return;
    const pieces = (this.partial + text).split('\n');
    this.partial = pieces.pop() ?? '';
    for (const piece of pieces) this.line(piece.replace(/\r$/, ''));
    while (this.partial.length > MAX_LINE) {
      this.line(this.partial.slice(0, MAX_LINE));
      this.partial = this.partial.slice(MAX_LINE);
    }
  }

  private line(raw: string): void {
    for (let start = 0; start === 0 || start < raw.length; start += MAX_LINE) {
      const line = this.redactor.redact(raw.slice(start, start + MAX_LINE));
      this.totalLines++;
      this.tail.push(line);
      if (this.tail.length > TAIL_LINES) this.tail.shift();
      this.spool(`${line}\n`);
    }
  }

  private spool(text: string): void {
    if (this.truncated) return;
    const bytes = Buffer.byteLength(text);
    if (this.fileBytes + this.pendingBytes + bytes > FILE_CAP_BYTES) {
      this.truncated = true;
      this.pending.push(`[opsbot: output cut at ${FILE_CAP_BYTES / 1024 / 1024} MB]\n`);
      this.flush();
      return;
    }
    this.pending.push(text);
    this.pendingBytes += bytes;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    if (this.fd === undefined || this.pending.length === 0) return;
    const buffer = Buffer.from(this.pending.join(''));
    writeSync(this.fd, buffer);
    this.fileBytes += buffer.length;
    this.pending = [];
    this.pendingBytes = 0;
  }
}
