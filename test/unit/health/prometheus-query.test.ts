import { describe, expect, it } from 'vitest';
import { formatNumber } from '../../../src/health/prometheus-measure.js';
import {
  type Bucket,
  describeSelection,
  histogramBuckets,
  histogramQuantile,
  selectSamples,
  sumOf,
} from '../../../src/health/prometheus-query.js';
import { parsePrometheusText } from '../../../src/health/prometheus-text.js';

const SCRAPE = parsePrometheusText(`
# TYPE http_requests_total counter
http_requests_total{method="GET",status="200"} 90
http_requests_total{method="GET",status="503"} 4
http_requests_total{method="POST",status="500"} 1
http_requests_total{method="POST",status="5000"} 7
http_requests_total{method="PUT"} 2
# TYPE latency_seconds histogram
latency_seconds_bucket{route="/a",le="0.1"} 10
latency_seconds_bucket{route="/a",le="0.5"} 30
latency_seconds_bucket{route="/a",le="+Inf"} 40
latency_seconds_bucket{route="/b",le="0.1"} 0
latency_seconds_bucket{route="/b",le="0.5"} 20
latency_seconds_bucket{route="/b",le="+Inf"} 60
`);

const buckets = (pairs: [number, number][]): Bucket[] => pairs.map(([le, count]) => ({ le, count }));

describe('selectSamples', () => {
  const total = (labels: Record<string, string>) =>
    sumOf(selectSamples(SCRAPE, 'http_requests_total', labels));

  it('matches each label value as an anchored regular expression, like PromQL =~', () => {
    expect(total({ status: '5..' })).toBe(5);
    expect(total({ status: '200|503' })).toBe(94);
    expect(total({ method: 'POST', status: '5.*' })).toBe(8);
    expect(total({})).toBe(104);
  });

  it('reads a label a series lacks as the empty string', () => {
    expect(total({ status: '' })).toBe(2);
    expect(total({ status: '.+' })).toBe(102);
  });

  it('describes a selection the way PromQL writes it', () => {
    expect(describeSelection('http_requests_total', { status: '5..' })).toBe(
      'http_requests_total{status=~"5.."}',
    );
    expect(describeSelection('up', {})).toBe('up');
  });
});

describe('histogramBuckets', () => {
  it('sums the buckets of the matching series per upper bound, lowest first', () => {
    expect(histogramBuckets(SCRAPE, 'latency_seconds', {})).toEqual(
      buckets([
        [0.1, 10],
        [0.5, 50],
        [Number.POSITIVE_INFINITY, 100],
      ]),
    );
    expect(histogramBuckets(SCRAPE, 'latency_seconds', { route: '/b' })).toEqual(
      buckets([
        [0.1, 0],
        [0.5, 20],
        [Number.POSITIVE_INFINITY, 60],
      ]),
    );
  });
});

describe('histogramQuantile (as PromQL histogram_quantile)', () => {
  const b = buckets([
    [0.1, 10],
    [0.5, 50],
    [1, 90],
    [Number.POSITIVE_INFINITY, 100],
  ]);

  it('interpolates linearly inside the bucket the rank falls in', () => {
    expect(histogramQuantile(0.05, b)).toBeCloseTo(0.05);
    expect(histogramQuantile(0.3, b)).toBeCloseTo(0.3);
    expect(histogramQuantile(0.5, b)).toBeCloseTo(0.5);
    expect(histogramQuantile(0.7, b)).toBeCloseTo(0.75);
    expect(histogramQuantile(0.9, b)).toBeCloseTo(1);
  });

  it('answers the largest finite bound when the rank falls in the +Inf bucket', () => {
    expect(histogramQuantile(0.95, b)).toBe(1);
  });

  it('answers the first bound when it is not positive and the rank falls in the first bucket', () => {
    expect(
      histogramQuantile(
        0.1,
        buckets([
          [-1, 10],
          [0, 10],
          [Number.POSITIVE_INFINITY, 10],
        ]),
      ),
    ).toBe(-1);
  });

  it('treats counts that go down as the count below them', () => {
    expect(
      histogramQuantile(
        0.75,
        buckets([
          [1, 10],
          [2, 9],
          [3, 20],
          [Number.POSITIVE_INFINITY, 20],
        ]),
      ),
    ).toBeCloseTo(2.5);
  });

  it('is NaN without a +Inf bucket or without observations', () => {
    expect(histogramQuantile(0.5, buckets([[1, 10]]))).toBeNaN();
    expect(histogramQuantile(0.5, [])).toBeNaN();
    expect(
      histogramQuantile(
        0.5,
        buckets([
          [1, 0],
          [Number.POSITIVE_INFINITY, 0],
        ]),
      ),
    ).toBeNaN();
  });
});

describe('formatNumber', () => {
  it('groups whole numbers and keeps three significant digits otherwise', () => {
    expect(formatNumber(6000)).toBe('6,000');
    expect(formatNumber(0.42)).toBe('0.42');
    expect(formatNumber(0.000123456)).toBe('0.000123');
    expect(formatNumber(1234.56)).toBe('1,235');
    expect(formatNumber(12.3456)).toBe('12.3');
    expect(formatNumber(Number.POSITIVE_INFINITY)).toBe('Infinity');
  });
});
