import { describe, expect, it } from 'vitest';
import { describeError } from '../../src/describe-error.js';

describe('describeError', () => {
  it('strips credentials from a URL in the message', () => {
    const text = describeError(new Error('connect to postgres://u:pw@host/db failed'));
    expect(text).toBe('connect to postgres://[redacted]@host/db failed');
    expect(text).not.toContain('pw');
    expect(text).not.toContain('u:');
  });

  it('strips credentials from every URL, whatever the scheme or case', () => {
    const text = describeError(
      new Error(
        'tried REDIS://default:s3cret@cache:6379 then https://admin:t0ken@api.example/x and postgresql://only@db',
      ),
    );
    expect(text).not.toMatch(/s3cret|t0ken|default|admin|only@/);
    expect(text).toBe(
      'tried REDIS://[redacted]@cache:6379 then https://[redacted]@api.example/x and postgresql://[redacted]@db',
    );
  });

  it('leaves URLs without credentials and e-mail addresses alone', () => {
    expect(describeError(new Error('GET https://api.example/v1/health?a=b returned 503'))).toBe(
      'GET https://api.example/v1/health?a=b returned 503',
    );
    expect(describeError(new Error('mail ops@example.com'))).toBe('mail ops@example.com');
  });

  it('keeps no part of a password that contains an unencoded @', () => {
    // `new URL` and pg accept this URL, with the password "p@ss"; no part of it may survive.
    expect(describeError(new Error('connect to postgres://u:p@ss@host/db failed'))).toBe(
      'connect to postgres://[redacted]@host/db failed',
    );
  });

  it('keeps only the first line, with no stack', () => {
    const error = new Error('relation "jobs" does not exist\nLINE 1: SELECT * FROM jobs\n        ^');
    expect(describeError(error)).toBe('relation "jobs" does not exist');
    expect(describeError(error)).not.toContain('    at ');
  });

  it('redacts credentials that sit on the first line before cutting', () => {
    const text = describeError(new Error(`postgres://user:${'p'.repeat(400)}@host/db\nmore`));
    expect(text).toBe('postgres://[redacted]@host/db');
  });

  it('bounds the text to 300 characters', () => {
    const text = describeError(new Error('x'.repeat(1000)));
    expect(text).toHaveLength(300);
    expect(text.endsWith('...')).toBe(true);
    expect(describeError(new Error('y'.repeat(300)))).toBe('y'.repeat(300));
    expect(describeError(new Error('y'.repeat(301)))).toHaveLength(300);
  });

  it('trims and describes values that are not errors', () => {
    expect(describeError('  plain string  ')).toBe('plain string');
    expect(describeError(42)).toBe('42');
    expect(describeError(undefined)).toBe('undefined');
  });

  it('says Unknown error for an empty message or an empty first line', () => {
    expect(describeError(new Error(''))).toBe('Unknown error.');
    expect(describeError(new Error('   \nsecond line'))).toBe('Unknown error.');
  });
});
