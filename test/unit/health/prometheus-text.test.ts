import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  type Exposition,
  ExpositionError,
  familyOf,
  parsePrometheusText,
  type Sample,
} from '../../../src/health/prometheus-text.js';

/** The samples as plain rows, labels as an object, for toEqual. */
function rows(exposition: Exposition, name?: string) {
  return exposition.samples
    .filter((sample) => name === undefined || sample.name === name)
    .map(({ name, labels, value, timestamp }: Sample) => ({
      name,
      labels: Object.fromEntries(labels),
      value,
      ...(timestamp === undefined ? {} : { timestamp }),
    }));
}

function errorOf(text: string): ExpositionError {
  try {
    parsePrometheusText(text);
  } catch (error) {
    if (error instanceof ExpositionError) return error;
    throw error;
  }
  throw new Error('parsed without an error');
}

describe('parsePrometheusText on prom-client output', () => {
  const registry = new Registry();
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'Requests by "status"\nand method \\ route',
    labelNames: ['method', 'status'],
    registers: [registry],
  });
  new Counter({ name: 'errors_total', help: 'Not used yet', labelNames: ['kind'], registers: [registry] });
  const depth = new Gauge({ name: 'queue_depth', help: 'Jobs waiting', registers: [registry] });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Latency',
    labelNames: ['route'],
    buckets: [0.1, 0.5, 1],
    registers: [registry],
  });
  const rpc = new Summary({
    name: 'rpc_duration_seconds',
    help: 'RPC latency',
    percentiles: [0.5, 0.9],
    registers: [registry],
  });
  requests.inc({ method: 'GET', status: '200' }, 5);
  requests.inc({ method: 'GET', status: '503' });
  requests.inc({ method: 'POST', status: 'odd "quoted"\\ value\nsecond line' });
  depth.set(-Infinity);
  duration.observe({ route: '/a' }, 0.3);
  duration.observe({ route: '/b' }, 2);
  rpc.observe(1);
  rpc.observe(3);

  it('reads counters with labels, including escaped quotes, backslashes and newlines', async () => {
    const parsed = parsePrometheusText(await registry.metrics());
    expect(rows(parsed, 'http_requests_total')).toEqual([
      { name: 'http_requests_total', labels: { method: 'GET', status: '200' }, value: 5 },
      { name: 'http_requests_total', labels: { method: 'GET', status: '503' }, value: 1 },
      {
        name: 'http_requests_total',
        labels: { method: 'POST', status: 'odd "quoted"\\ value\nsecond line' },
        value: 1,
      },
    ]);
    expect(parsed.types.get('http_requests_total')).toBe('counter');
    expect(parsed.help.get('http_requests_total')).toBe('Requests by "status"\nand method \\ route');
    expect(parsed.types.get('errors_total')).toBe('counter');
    expect(rows(parsed, 'errors_total')).toEqual([]);
  });

  it('reads a gauge at -Inf', async () => {
    const parsed = parsePrometheusText(await registry.metrics());
    expect(rows(parsed, 'queue_depth')).toEqual([
      { name: 'queue_depth', labels: {}, value: Number.NEGATIVE_INFINITY },
    ]);
    expect(parsed.types.get('queue_depth')).toBe('gauge');
  });

  it('reads a labelled histogram: cumulative buckets up to +Inf, _sum and _count per label set', async () => {
    const parsed = parsePrometheusText(await registry.metrics());
    const buckets = rows(parsed, 'http_request_duration_seconds_bucket');
    expect(buckets.filter((b) => b.labels.route === '/b')).toEqual(
      ['0.1', '0.5', '1', '+Inf'].map((le, i) => ({
        name: 'http_request_duration_seconds_bucket',
        labels: { le, route: '/b' },
        value: i === 3 ? 1 : 0,
      })),
    );
    expect(rows(parsed, 'http_request_duration_seconds_sum').map((s) => s.value)).toEqual([0.3, 2]);
    expect(rows(parsed, 'http_request_duration_seconds_count').map((s) => s.value)).toEqual([1, 1]);
    expect(familyOf(parsed, 'http_request_duration_seconds_bucket')).toEqual({
      name: 'http_request_duration_seconds',
      type: 'histogram',
    });
  });

  it('reads a summary: quantiles, _sum and _count', async () => {
    const parsed = parsePrometheusText(await registry.metrics());
    expect(rows(parsed).filter((s) => s.name.startsWith('rpc_duration_seconds'))).toEqual([
      { name: 'rpc_duration_seconds', labels: { quantile: '0.5' }, value: 2 },
      { name: 'rpc_duration_seconds', labels: { quantile: '0.9' }, value: 3 },
      { name: 'rpc_duration_seconds_sum', labels: {}, value: 4 },
      { name: 'rpc_duration_seconds_count', labels: {}, value: 2 },
    ]);
    expect(familyOf(parsed, 'rpc_duration_seconds_count').type).toBe('summary');
  });
});

describe('parsePrometheusText on hand-written text', () => {
  it('reads timestamps, +Inf/-Inf/NaN, exponents, blank lines, other comments, tabs and CRLF', () => {
    const parsed = parsePrometheusText(
      [
        '# A comment that is neither HELP nor TYPE',
        '',
        'up 1 1700000000000',
        'temperature{room="a"}\t-1.5e3',
        'ratio{} NaN',
        'big +Inf',
        'small -Inf',
        'trailing_comma{a="1",} .5\r',
        '  indented{ a = "x" , b="y" } 7  ',
      ].join('\n'),
    );
    expect(rows(parsed)).toEqual([
      { name: 'up', labels: {}, value: 1, timestamp: 1_700_000_000_000 },
      { name: 'temperature', labels: { room: 'a' }, value: -1500 },
      { name: 'ratio', labels: {}, value: Number.NaN },
      { name: 'big', labels: {}, value: Number.POSITIVE_INFINITY },
      { name: 'small', labels: {}, value: Number.NEGATIVE_INFINITY },
      { name: 'trailing_comma', labels: { a: '1' }, value: 0.5 },
      { name: 'indented', labels: { a: 'x', b: 'y' }, value: 7 },
    ]);
  });

  it('keeps label names such as __proto__ as data', () => {
    const [sample] = parsePrometheusText('odd{__proto__="x",constructor="y"} 1').samples;
    expect([...(sample?.labels ?? [])]).toEqual([
      ['__proto__', 'x'],
      ['constructor', 'y'],
    ]);
  });

  it('ties an OpenMetrics-style counter family to its _total samples', () => {
    const parsed = parsePrometheusText('# TYPE jobs counter\njobs_total{queue="a"} 3\n');
    expect(familyOf(parsed, 'jobs_total')).toEqual({ name: 'jobs', type: 'counter' });
    expect(familyOf(parsed, 'unknown_total')).toEqual({ name: 'unknown_total', type: 'untyped' });
  });
});

describe('parsePrometheusText on malformed text', () => {
  const cases: [string, string, string][] = [
    ['a value that is not a number', 'ok 1\nbad abc', 'line 2: "abc" is not a number'],
    ['a hex value Number() would accept', 'bad 0x10', 'line 1: "0x10" is not a number'],
    ['a missing value', 'ok 1\n\nlonely', 'line 3: expected a space and a value after lonely'],
    ['a missing value after labels', 'x{a="b"}', 'line 1: expected a space and a value after x'],
    ['an unterminated label value', 'x{a="b} 1', 'line 1: the value of label a has no closing quote'],
    ['an unquoted label value', 'x{a=b} 1', 'line 1: the value of label a must be in double quotes'],
    ['an invalid escape', 'x{a="\\t"} 1', 'line 1: label a has an invalid escape "\\t"'],
    ['a missing comma', 'x{a="1" b="2"} 1', 'line 1: expected "," or "}" after the value of label a'],
    ['a duplicate label', 'x{a="1",a="2"} 1', 'line 1: label a appears twice'],
    ['a bad label name', 'x{1a="1"} 1', 'line 1: expected a label name or "}" at column 3'],
    ['a bad metric name', '1x 1', 'line 1: expected a metric name, found "1x 1"'],
    ['a fractional timestamp', 'x 1 1.5', 'line 1: "1.5" is not a timestamp in milliseconds'],
    ['text after the timestamp', 'x 1 2 3', 'line 1: unexpected "3" after the timestamp'],
    [
      'an unknown type',
      '# TYPE x countr',
      'line 1: # TYPE x has an unknown type "countr" (known: counter, gauge, histogram, summary, untyped)',
    ],
    ['a second TYPE', '# TYPE x gauge\n# TYPE x counter', 'line 2: a second # TYPE for x'],
    ['a second HELP', '# HELP x a\n# HELP x b', 'line 2: a second # HELP for x'],
    ['a HELP without a name', '# HELP', 'line 1: # HELP needs a metric name'],
    [
      'a repeated series',
      'x{a="1",b="2"} 1\nx{b="2",a="1"} 2',
      'line 2: x{a="1",b="2"} appears again (first on line 1)',
    ],
    [
      'a bucket without le',
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket 2',
      'line 3: h_bucket has no "le" label',
    ],
    [
      'a bucket with a non-numeric le',
      '# TYPE h histogram\nh_bucket{le="big"} 1',
      'line 2: h_bucket has le="big", not a number',
    ],
    ['a summary quantile without quantile', '# TYPE s summary\ns 1', 'line 2: s has no "quantile" label'],
  ];

  it.each(cases)('refuses %s, naming the line', (_, text, message) => {
    expect(errorOf(text).message).toBe(message);
  });

  it('refuses a JSON or HTML body on its first line', () => {
    expect(errorOf('{"status":"ok"}').message).toBe(
      'line 1: expected a metric name, found "{"status":"ok"}"',
    );
    expect(errorOf('<!doctype html>\n<html>').line).toBe(1);
  });
});
