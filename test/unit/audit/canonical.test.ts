import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, toJsonValue } from '../../../src/audit/canonical.js';

/** The same object with its keys inserted in reverse order, at every depth. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).reverse()) {
    Object.defineProperty(out, key, {
      value: reversedKeys((value as Record<string, unknown>)[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

describe('canonicalJson', () => {
  it('does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: 2, c: 3 })).toBe('{"a":2,"b":1,"c":3}');
    expect(canonicalJson({ c: 3, a: 2, b: 1 })).toBe(canonicalJson({ a: 2, b: 1, c: 3 }));
  });

  it('sorts the keys of nested objects, including objects inside arrays', () => {
    expect(canonicalJson({ z: { y: 1, x: { w: true, v: null } }, a: [{ d: 1, c: 2 }] })).toBe(
      '{"a":[{"c":2,"d":1}],"z":{"x":{"v":null,"w":true},"y":1}}',
    );
  });

  it('keeps the order of arrays', () => {
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
    expect(canonicalJson({ list: ['b', 'a'] })).not.toBe(canonicalJson({ list: ['a', 'b'] }));
  });

  it('writes no whitespace and escapes strings as JSON does', () => {
    expect(canonicalJson({ 'a key': 'line\nbreak "quoted"', n: -1.5e-7 })).toBe(
      '{"a key":"line\\nbreak \\"quoted\\"","n":-1.5e-7}',
    );
  });

  it('sorts keys by code unit, not by locale', () => {
    expect(canonicalJson({ b: 1, B: 2, a: 3, é: 4, Z: 5 })).toBe('{"B":2,"Z":5,"a":3,"b":1,"é":4}');
  });

  it('treats values as JSON does: undefined members dropped, Dates as ISO strings, undefined as null', () => {
    expect(canonicalJson({ a: undefined, b: new Date('2026-01-02T03:04:05.678Z'), c: [undefined] })).toBe(
      '{"b":"2026-01-02T03:04:05.678Z","c":[null]}',
    );
    expect(canonicalJson(undefined)).toBe('null');
    expect(toJsonValue({ n: Number.NaN })).toEqual({ n: null });
  });

  it('is the same for any JSON value whatever its key order, and parses back to an equal value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(reversedKeys(value))).toBe(text);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(JSON.parse(text)).toEqual(toJsonValue(value));
      }),
      { numRuns: 300 },
    );
  });
});
