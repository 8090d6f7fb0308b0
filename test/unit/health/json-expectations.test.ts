import { describe, expect, it } from 'vitest';
import { jsonMismatch } from '../../../src/health/checks/http.js';

describe('jsonMismatch', () => {
  const healthy = { status: 'healthy', services: { database: 'healthy', redis: 'healthy' }, version: 3 };

  it('accepts an answer that has every expected value, nested, ignoring other fields', () => {
    expect(
      jsonMismatch({ status: 'healthy', services: { database: 'healthy' } }, healthy, ''),
    ).toBeUndefined();
  });

  it('checks every field under "*"', () => {
    expect(jsonMismatch({ services: { '*': 'healthy' } }, healthy, '')).toBeUndefined();
    const oneDown = { ...healthy, services: { database: 'healthy', redis: 'down' } };
    expect(jsonMismatch({ services: { '*': 'healthy' } }, oneDown, '')).toBe(
      'services.redis is "down", expected "healthy"',
    );
  });

  it('names a missing field, a wrong type and a non-JSON answer', () => {
    expect(jsonMismatch({ llm_runtime: 'ok' }, healthy, '')).toBe('llm_runtime is missing, expected "ok"');
    expect(jsonMismatch({ version: '3' }, healthy, '')).toBe('version is 3, expected "3"');
    expect(jsonMismatch({ status: 'healthy' }, undefined, '')).toBe('the answer is not an object');
    expect(jsonMismatch({ services: { '*': 'healthy' } }, { services: 'all good' }, '')).toBe(
      'services is not an object',
    );
  });

  it('never matches a prototype member for a missing field', () => {
    expect(jsonMismatch({ constructor: 'x' }, {}, '')).toBe('constructor is missing, expected "x"');
  });
});
