import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandOutput } from '../../../src/exec/output.js';
import { REDACTED, Redactor } from '../../../src/exec/redactor.js';

const SECRET = 'benchmark-db-S3cret';
const redactor = new Redactor([SECRET]);
const outputs: CommandOutput[] = [];

/** A CommandOutput disposed after the test. */
function output(fileCapBytes?: number): CommandOutput {
  const made = new CommandOutput(redactor, fileCapBytes === undefined ? {} : { fileCapBytes });
  outputs.push(made);
  return made;
}

afterEach(() => {
  for (const made of outputs.splice(0)) made.dispose();
});

describe('CommandOutput: lines', () => {
  it('joins lines split across chunks, and characters split mid-UTF-8', () => {
    const out = output();
    const bytes = Buffer.from('héllo wörld ✓\nsecond 😀 line\r\nthird');
    // Every byte its own chunk: every multi-byte character arrives split.
    for (const byte of bytes) out.write(Buffer.from([byte]));
    expect(out.lastLines(10)).toEqual(['héllo wörld ✓', 'second 😀 line', 'third']);
    expect(out.size).toEqual({ lines: 3, bytes: bytes.length });
    const summary = out.finish();
    expect(summary).toMatchObject({ lines: 3, bytes: bytes.length, truncated: false });
    expect(readFileSync(summary.path, 'utf8')).toBe('héllo wörld ✓\nsecond 😀 line\nthird\n');
  });

  it('drops the \\r of \\r\\n even when the two arrive in different chunks', () => {
    const out = output();
    out.write('one\r');
    out.write('\ntwo\r\n');
    expect(out.lastLines(5)).toEqual(['one', 'two']);
  });

  it('cuts a very long line into pieces of at most 4000 characters', () => {
    const out = output();
    out.write(`${'x'.repeat(10_000)}\n`);
    out.write('y'.repeat(9_000));
    const lines = out.lastLines(10);
    expect(lines.map((line) => line.length)).toEqual([4000, 4000, 2000, 4000, 4000, 1000]);
    expect(lines.join('')).toBe('x'.repeat(10_000) + 'y'.repeat(9_000));
  });
});

describe('CommandOutput: redaction', () => {
  it('redacts a secret split across two chunks of one line, before anything keeps it', () => {
    const out = output();
    out.write(`connecting with password=${SECRET.slice(0, 7)}`);
    // The partial line is shown redacted too (as far as it goes).
    expect(out.lastLines(1)[0]).not.toContain(SECRET.slice(0, 7));
    out.write(`${SECRET.slice(7)} to postgres\nnext\n`);
    expect(out.lastLines(5)).toEqual([`connecting with password=${REDACTED} to postgres`, 'next']);
    const summary = out.finish();
    const file = readFileSync(summary.path, 'utf8');
    expect(file).not.toContain(SECRET);
    expect(file).toContain(`password=${REDACTED} to postgres`);
  });

  it('redacts a secret in a long line cut at a space', () => {
    const out = output();
    // Without a newline yet, the line is cut at 4000 characters, where the secret would be split.
    out.write(`${'word '.repeat(797)}${SECRET} ${'z'.repeat(3000)}`);
    out.write('\n');
    expect(out.lastLines(5).join('')).not.toContain(SECRET.slice(0, 6));
    expect(readFileSync(out.finish().path, 'utf8')).not.toContain(SECRET.slice(-6));
  });

  it('redacts the lines of a printed PEM private key', () => {
    const out = output();
    out.write('before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nb3BlbnNzaC1rZXktdjE\n');
    out.write('-----END RSA PRIVATE KEY-----\nafter\n');
    expect(out.lastLines(10)).toEqual([
      'before',
      REDACTED,
      REDACTED,
      REDACTED,
      '-----END RSA PRIVATE KEY-----',
      'after',
    ]);
  });
});

describe('CommandOutput: 10 MB', () => {
  /** Writes `lines` numbered lines (100 bytes each) in 64 KB chunks, a secret on every line. */
  function writeMany(out: CommandOutput, lines: number): void {
    const all = Buffer.from(
      Array.from(
        { length: lines },
        (_, i) => `line ${String(i).padStart(8, '0')} ${SECRET} ${'.'.repeat(65)}\n`,
      ).join(''),
    );
    for (let start = 0; start < all.length; start += 64 * 1024)
      out.write(all.subarray(start, start + 64 * 1024));
  }
  const LINES = 100_000; // 100 bytes each: 10 MB

  it('keeps 200 lines in memory and the whole redacted output in the file', () => {
    const out = output();
    writeMany(out, LINES);
    expect(out.lastLines(10_000)).toHaveLength(200);
    expect(out.lastLines(1)).toEqual([`line 00099999 ${REDACTED} ${'.'.repeat(65)}`]);
    const summary = out.finish();
    expect(summary).toMatchObject({ lines: LINES, bytes: LINES * 100, truncated: false });
    const redactedLine = 100 - SECRET.length + REDACTED.length;
    expect(statSync(summary.path).size).toBe(LINES * redactedLine);
    const file = readFileSync(summary.path, 'utf8');
    expect(file.startsWith(`line 00000000 ${REDACTED} `)).toBe(true);
    expect(file.endsWith(`line 00099999 ${REDACTED} ${'.'.repeat(65)}\n`)).toBe(true);
    expect(file).not.toContain(SECRET);
  });

  it('stops the file at its cap and says so, still counting everything', () => {
    const out = output(1024 * 1024);
    writeMany(out, LINES);
    const summary = out.finish();
    expect(summary).toMatchObject({ lines: LINES, bytes: LINES * 100, truncated: true });
    const file = readFileSync(summary.path, 'utf8');
    expect(file.length).toBeLessThanOrEqual(1024 * 1024 + 100);
    expect(file.endsWith('[opsbot: output cut at 1 MB; the rest was not kept]\n')).toBe(true);
    expect(file.startsWith(`line 00000000 ${REDACTED} `)).toBe(true);
    expect(out.lastLines(1)).toEqual([`line 00099999 ${REDACTED} ${'.'.repeat(65)}`]);
  });

  it('has no marker below the cap', () => {
    const out = output(1024 * 1024);
    writeMany(out, 1000);
    const summary = out.finish();
    expect(summary.truncated).toBe(false);
    expect(readFileSync(summary.path, 'utf8')).not.toContain('[opsbot: output cut');
  });
});

describe('CommandOutput: dispose', () => {
  it('removes the temporary directory', () => {
    const out = new CommandOutput(redactor);
    out.write('a\n');
    const path = out.finish().path;
    expect(readFileSync(path, 'utf8')).toBe('a\n');
    out.dispose();
    expect(existsSync(dirname(path))).toBe(false);
  });
});
