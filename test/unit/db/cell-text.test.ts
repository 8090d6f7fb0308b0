import { describe, expect, it } from 'vitest';
import { cellText } from '../../../src/db/target-sql.js';

describe('cellText', () => {
  it('shows each kind of value pg returns as one line of text', () => {
    expect(cellText(null)).toBe('∅');
    expect(cellText(undefined)).toBe('∅');
    expect(cellText(new Date('2026-11-23T07:00:00.000Z'))).toBe('2026-11-23T07:00:00.000Z');
    expect(cellText(Buffer.from([0xde, 0xad, 0xbe, 0xef]))).toBe('\\xdeadbeef');
    expect(cellText({ status: 'failed', attempts: [1, 2] })).toBe('{"status":"failed","attempts":[1,2]}');
    expect(cellText(42)).toBe('42');
    expect(cellText('9007199254740993')).toBe('9007199254740993');
    expect(cellText(true)).toBe('true');
  });
});
