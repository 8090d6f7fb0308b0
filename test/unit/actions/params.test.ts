import { describe, expect, it } from 'vitest';
import { checkParams, ParamsSchema, paramsUsage } from '../../../src/actions/params.js';

const specs = ParamsSchema.parse({
  study: { type: 'string', pattern: '^study_[a-z0-9]+$' },
  status: { type: 'string', enum: ['failed', 'pending'], optional: true },
  note: { type: 'string', max_length: 10, optional: true },
  limit: { type: 'integer', min: 1, max: 100, optional: true },
});

describe('ParamsSchema', () => {
  it('fills in defaults', () => {
    const parsed = ParamsSchema.parse({ a: { type: 'string' }, b: { type: 'integer' } });
    expect(parsed.a).toMatchObject({ type: 'string', max_length: 200, optional: false });
    expect(parsed.b).toMatchObject({ type: 'integer', optional: false });
  });

  it('refuses bad names, unknown fields and invalid patterns', () => {
    expect(ParamsSchema.safeParse({ Study: { type: 'string' } }).success).toBe(false);
    expect(ParamsSchema.safeParse({ study: { type: 'string', colour: 'red' } }).success).toBe(false);
    expect(ParamsSchema.safeParse({ study: { type: 'string', pattern: '([' } }).success).toBe(false);
    expect(ParamsSchema.safeParse({ n: { type: 'integer', pattern: '^1$' } }).success).toBe(false);
  });
});

describe('checkParams', () => {
  it('accepts valid values and converts integers', () => {
    expect(
      checkParams(specs, { study: 'study_abc123', status: 'failed', note: 'short', limit: '42' }),
    ).toEqual({
      ok: true,
      values: { study: 'study_abc123', status: 'failed', note: 'short', limit: 42 },
    });
  });

  it('trims values before checking them', () => {
    expect(checkParams(specs, { study: '  study_abc  ', limit: ' 7 ' })).toEqual({
      ok: true,
      values: { study: 'study_abc', limit: 7 },
    });
  });

  it('leaves optional params out when they are missing or blank', () => {
    expect(checkParams(specs, { study: 'study_x', status: '', note: '   ' })).toEqual({
      ok: true,
      values: { study: 'study_x' },
    });
  });

  it('says Required for a missing or blank required param', () => {
    expect(checkParams(specs, {})).toEqual({ ok: false, errors: { study: 'Required.' } });
    expect(checkParams(specs, { study: ' \t ' })).toEqual({ ok: false, errors: { study: 'Required.' } });
  });

  it('checks the pattern', () => {
    expect(checkParams(specs, { study: 'abc123' })).toEqual({
      ok: false,
      errors: { study: 'Must match ^study_[a-z0-9]+$.' },
    });
  });

  it('checks the enum', () => {
    expect(checkParams(specs, { study: 'study_x', status: 'done' })).toEqual({
      ok: false,
      errors: { status: 'Must be one of failed, pending.' },
    });
  });

  it('checks max_length, at the limit and just over it', () => {
    expect(checkParams(specs, { study: 'study_x', note: 'a'.repeat(10) }).ok).toBe(true);
    expect(checkParams(specs, { study: 'study_x', note: 'a'.repeat(11) })).toEqual({
      ok: false,
      errors: { note: 'Must be at most 10 characters.' },
    });
  });

  it('applies the default max_length of 200', () => {
    const plain = ParamsSchema.parse({ message: { type: 'string' } });
    expect(checkParams(plain, { message: 'm'.repeat(200) }).ok).toBe(true);
    expect(checkParams(plain, { message: 'm'.repeat(201) })).toEqual({
      ok: false,
      errors: { message: 'Must be at most 200 characters.' },
    });
  });

  it.each([
    ['1', 1],
    ['100', 100],
    ['007', 7],
  ])('accepts integer %j within min and max', (text, value) => {
    const check = checkParams(specs, { study: 'study_x', limit: text });
    expect(check).toEqual({ ok: true, values: { study: 'study_x', limit: value } });
  });

  it.each([
    ['0', 'Must be at least 1.'],
    ['-5', 'Must be at least 1.'],
    ['101', 'Must be at most 100.'],
    ['abc', 'Must be a whole number.'],
    ['1.5', 'Must be a whole number.'],
    ['1e3', 'Must be a whole number.'],
    ['+3', 'Must be a whole number.'],
    ['0x10', 'Must be a whole number.'],
    ['99999999999999999999', 'Must be a whole number.'],
  ])('refuses integer %j', (text, message) => {
    expect(checkParams(specs, { study: 'study_x', limit: text })).toEqual({
      ok: false,
      errors: { limit: message },
    });
  });

  it('allows any integer when min and max are not set', () => {
    const open = ParamsSchema.parse({ n: { type: 'integer' } });
    expect(checkParams(open, { n: '-123456' })).toEqual({ ok: true, values: { n: -123456 } });
  });

  it('reports every field at once', () => {
    const check = checkParams(specs, { status: 'nope', note: 'x'.repeat(11), limit: 'many' });
    expect(check.ok).toBe(false);
    expect(check.ok ? {} : Object.keys(check.errors).sort()).toEqual(['limit', 'note', 'status', 'study']);
  });

  it('ignores raw values that are not declared params', () => {
    expect(checkParams(specs, { study: 'study_x', other: 'y' })).toEqual({
      ok: true,
      values: { study: 'study_x' },
    });
  });
});

describe('paramsUsage', () => {
  it('writes required params in <> and optional ones in [], in declared order', () => {
    expect(paramsUsage(specs)).toBe('<study> [status] [note] [limit]');
  });

  it('is empty for no params', () => {
    expect(paramsUsage(ParamsSchema.parse(undefined))).toBe('');
  });
});
