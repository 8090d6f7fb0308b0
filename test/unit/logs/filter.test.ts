import { describe, expect, it } from 'vitest';
import { levelOf, lineMatches, selectLines } from '../../../src/logs/filter.js';
import type { LogLine } from '../../../src/logs/log-lines.js';

// Bentham's structured log fields (runbook 001): level 30=info, 40=warn, 50=error, with requestId, msg.
const info = '{"level":30,"time":1767355200000,"requestId":"req_1","msg":"study created"}';
const error = '{"level":50,"time":1767355201000,"requestId":"req_2","msg":"surface adapter failed"}';
const fatal = '{"level":60,"msg":"out of memory"}';

function line(source: string, text: string, at?: string): LogLine {
  return { source, text, at: at === undefined ? undefined : new Date(at) };
}

describe('the level filter', () => {
  it('keeps pino lines at level 50 or above for level=error, as grep \'"level":50\' does, and fatal too', () => {
    expect(lineMatches(error, { level: 'error' })).toBe(true);
    expect(lineMatches(fatal, { level: 'error' })).toBe(true);
    expect(lineMatches(info, { level: 'error' })).toBe(false);
    expect(lineMatches('{"level":40,"msg":"slow"}', { level: 'error' })).toBe(false);
    expect(lineMatches('{"level":40,"msg":"slow"}', { level: 'warn' })).toBe(true);
  });

  it('reads a level or severity word whatever its case', () => {
    expect(levelOf('{"level":"ERROR","msg":"x"}')).toBe(50);
    expect(levelOf('{"severity":"Fatal"}')).toBe(60);
    expect(levelOf('  {"severity":"warning"}  ')).toBe(40);
    expect(lineMatches('{"level":"error"}', { level: 'error' })).toBe(true);
    expect(lineMatches('{"level":"info","severity":"error"}', { level: 'error' })).toBe(false);
  });

  it('never matches a line that is not a JSON object with a level, even one that says error', () => {
    expect(lineMatches('ERROR: connection refused', { level: 'error' })).toBe(false);
    expect(lineMatches('{"level":50', { level: 'error' })).toBe(false);
    expect(lineMatches('[{"level":50}]', { level: 'error' })).toBe(false);
    expect(lineMatches('{"msg":"no level"}', { level: 'error' })).toBe(false);
    expect(lineMatches('{"level":"loud"}', { level: 'trace' })).toBe(false);
    expect(levelOf('null')).toBeUndefined();
  });
});

describe('the grep filter', () => {
  it('is a literal, case-sensitive substring: regex characters mean themselves', () => {
    expect(lineMatches('executor picked surface_id=openai-api', { grep: 'surface_id' })).toBe(true);
    expect(lineMatches('GET /v1/studies 401', { grep: '401\\|403' })).toBe(false);
    expect(lineMatches('matched 401\\|403 literally', { grep: '401\\|403' })).toBe(true);
    expect(lineMatches('a.c', { grep: 'a.c' })).toBe(true);
    expect(lineMatches('abc', { grep: 'a.c' })).toBe(false);
    expect(lineMatches('Surface_id', { grep: 'surface_id' })).toBe(false);
  });

  it('combines with level: both must match', () => {
    expect(lineMatches(error, { grep: 'req_2', level: 'error' })).toBe(true);
    expect(lineMatches(error, { grep: 'req_1', level: 'error' })).toBe(false);
    expect(lineMatches(info, { grep: 'req_1', level: 'error' })).toBe(false);
  });
});

describe('selecting the lines to show', () => {
  it('merges the containers by time, newest last', () => {
    const { lines } = selectLines(
      [
        line('api-gateway-a/api-gateway', 'a1', '2026-01-02T12:00:01Z'),
        line('api-gateway-a/api-gateway', 'a2', '2026-01-02T12:00:04Z'),
        line('api-gateway-b/api-gateway', 'b1', '2026-01-02T12:00:02Z'),
        line('api-gateway-b/api-gateway', 'b2', '2026-01-02T12:00:03Z'),
        line('api-gateway-b/api-gateway', 'b3', '2026-01-02T12:00:05Z'),
      ],
      {},
      100,
    );
    expect(lines.map((l) => l.text)).toEqual(['a1', 'b1', 'b2', 'a2', 'b3']);
  });

  it('keeps a line without a time after the line before it in its source, and equal times in read order', () => {
    const { lines } = selectLines(
      [
        line('a', 'a-untimed-first'),
        line('a', 'a1', '2026-01-02T12:00:01Z'),
        line('a', 'a1-continued'),
        line('a', 'a2', '2026-01-02T12:00:03Z'),
        line('b', 'b1', '2026-01-02T12:00:02Z'),
        line('b', 'b-same-time-as-a2', '2026-01-02T12:00:03Z'),
      ],
      {},
      100,
    );
    expect(lines.map((l) => l.text)).toEqual([
      'a-untimed-first',
      'a1',
      'a1-continued',
      'b1',
      'a2',
      'b-same-time-as-a2',
    ]);
  });

  it("never reorders a source's own lines, even when its times go back", () => {
    const { lines } = selectLines(
      [line('a', 'first', '2026-01-02T12:00:05Z'), line('a', 'second', '2026-01-02T12:00:01Z')],
      {},
      100,
    );
    expect(lines.map((l) => l.text)).toEqual(['first', 'second']);
  });

  it('filters before keeping the last `tail`, and says how many matched', () => {
    const all = Array.from({ length: 30 }, (_, i) =>
      line(
        `pod-${i % 3}/api-gateway`,
        i % 2 ? error : info,
        new Date(Date.UTC(2026, 0, 2, 12, 0, i)).toISOString(),
      ),
    );
    const { lines, matched } = selectLines(all, { level: 'error' }, 5);
    expect(matched).toBe(15);
    expect(lines).toHaveLength(5);
    expect(lines.every((l) => l.text === error)).toBe(true);
    expect(lines.map((l) => l.at?.getUTCSeconds())).toEqual([21, 23, 25, 27, 29]);
  });
});
