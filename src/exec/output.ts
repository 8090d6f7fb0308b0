import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { REDACTED, type Redactor } from './redactor.js';

/** A line longer than this is cut into pieces: redaction and Slack both work on bounded lines. */
const MAX_LINE = 4_000;
/** Lines kept in memory for the live view and a failure's summary; the rest is only in the file. */
const TAIL_LINES = 200;
/** What the file keeps at most; beyond it, output is counted but dropped, and the file says so. */
const FILE_CAP_BYTES = 64 * 1024 * 1024;
/** Bytes gathered before they are written to the file. */
const FLUSH_BYTES = 64 * 1024;
/** The first and last lines of a PEM private key: the lines between are the key, each redacted whole. */
const KEY_LINES = 100;
const KEY_BEGIN = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const KEY_END = /-----END [A-Z ]*PRIVATE KEY-----/;

/** Options of a CommandOutput; the defaults are what runs use. */
export interface OutputOptions {
  /** What the file keeps at most (bytes). */
  fileCapBytes?: number;
}

/** What a finished output came to. */
export interface OutputSummary {
  lines: number;
  bytes: number;
  /** Path of the whole (redacted) output, up to the file's cap (64 MB). */
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
  /** Lines still to redact whole after a private key's first line (a 4096-bit RSA key has about 50). */
  private keyLinesLeft = 0;
  private readonly fileCap: number;
  private readonly dir: string;
  private readonly path: string;
  private fd: number | undefined;

  constructor(
    private readonly redactor: Redactor,
    options: OutputOptions = {},
  ) {
    this.fileCap = options.fileCapBytes ?? FILE_CAP_BYTES;
    this.dir = mkdtempSync(join(tmpdir(), 'opsbot-output-'));
    this.path = join(this.dir, 'output.log');
    this.fd = openSync(this.path, 'w', 0o600);
  }

  /** A chunk of stdout or stderr, as it came (it may end mid-line or mid-character). */
  write(chunk: Buffer | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.totalBytes += bytes.length;
    this.take(this.decoder.write(bytes));
  }

  /** The last `n` lines, redacted. */
  lastLines(n: number): string[] {
    const lines = this.partial ? [...this.tail, this.redactLine(this.partial)] : this.tail;
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
      // Cut at a space where there is one, so a secret (which has none) is not split between two lines.
      const space = this.partial.lastIndexOf(' ', MAX_LINE);
      const cut = space > MAX_LINE / 2 ? space + 1 : MAX_LINE;
      this.line(this.partial.slice(0, cut));
      this.partial = this.partial.slice(cut);
    }
  }

  /** One line of output: redacted whole, then cut into pieces of at most MAX_LINE, each kept as a line. */
  private line(raw: string): void {
    const redacted = this.redactLine(raw);
    if (KEY_BEGIN.test(raw)) this.keyLinesLeft = KEY_END.test(raw) ? 0 : KEY_LINES;
    else if (KEY_END.test(raw)) this.keyLinesLeft = 0;
    else if (this.keyLinesLeft > 0) this.keyLinesLeft--;
    for (let start = 0; start === 0 || start < redacted.length; start += MAX_LINE) {
      const line = redacted.slice(start, start + MAX_LINE);
      this.totalLines++;
      this.tail.push(line);
      if (this.tail.length > TAIL_LINES) this.tail.shift();
      this.spool(`${line}\n`);
    }
  }

  /** A line redacted; inside a PEM private key (which the Redactor sees a line at a time), the whole line. */
  private redactLine(raw: string): string {
    return this.keyLinesLeft > 0 && !KEY_END.test(raw) ? REDACTED : this.redactor.redact(raw);
  }

  private spool(text: string): void {
    if (this.truncated) return;
    const bytes = Buffer.byteLength(text);
    if (this.fileBytes + this.pendingBytes + bytes > this.fileCap) {
      this.truncated = true;
      this.pending.push(`[opsbot: output cut at ${sizeText(this.fileCap)}; the rest was not kept]\n`);
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

function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MB` : `${Math.round(bytes / 1024)} KB`;
}
