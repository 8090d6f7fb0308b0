import { z } from 'zod';
import { Duration } from '../../config/duration.js';
import { describeError } from '../../describe-error.js';
import { readCappedBody } from '../../net/capped-body.js';
import type { CounterWindowStore } from '../counter-windows.js';
import { type HealthResult, levelOf, timedResult } from '../levels.js';
import { measure } from '../prometheus-measure.js';
import { labelMatcher } from '../prometheus-query.js';
import { ExpositionError, parsePrometheusText } from '../prometheus-text.js';
import { baseCheckFields, type CheckType, ThresholdsSchema } from './check-type.js';

/** A scrape larger than this is refused, not parsed: even large exporters stay well under it. */
const MAX_SCRAPE_BYTES = 10 * 1024 * 1024;

const MetricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must be a Prometheus metric name');
/** Label values, each a regular expression over the whole value as in PromQL `=~`: `status: "5.."`. */
const LabelMatchers = z.record(
  z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus label name'),
  z.string().refine(compiles, 'must be a regular expression such as 5.. or GET|POST'),
);
/** Samples of one metric whose labels match; their values are summed. */
const MetricSelection = z.strictObject({ metric: MetricName, labels: LabelMatchers.default({}) });

/**
 * A Prometheus check: scrapes `metrics` and grades one measurement: `value`, `ratio`, `quantile` or `rate`.
 * AI Benchmark's (runbook 003: its alerts, at /metrics on port 8000) as ops.yml has them:
 *
 *   - name: latency              # p95 from the histogram's increase since a scrape about a minute earlier
 *     metrics: http://localhost:8000/metrics
 *     quantile: { histogram: benchmark_response_time_seconds, q: 0.95 }
 *     warning: { above: 2 }
 *     sustained: 2m              # any check type may have it: see baseCheckFields
 *   - name: error-rate           # 5xx / all requests, over the same window
 *     metrics: http://localhost:8000/metrics
 *     ratio:
 *       of: { metric: benchmark_requests_total, labels: { status: "5.." } }
 *       to: { metric: benchmark_requests_total }
 *     critical: { above: 0.01 }
 *     sustained: 2m
 *   - name: throughput           # requests per second, over the same window
 *     metrics: http://localhost:8000/metrics
 *     rate: { metric: benchmark_requests_total }
 *     warning: { below: 10 }
 */
export const PrometheusCheckSchema = z
  .strictObject({
    ...baseCheckFields('prometheus'),
    metrics: z.url(),
    value: MetricSelection.optional(),
    /** `of` / `to`, over the increase since a scrape about a minute earlier when there is one. */
    ratio: z.strictObject({ of: MetricSelection, to: MetricSelection }).optional(),
    /** A histogram's q-quantile from its buckets, as PromQL's histogram_quantile. */
    quantile: z
      .strictObject({
        histogram: MetricName,
        q: z.number().gt(0).lt(1),
        labels: LabelMatchers.refine((labels) => !('le' in labels), 'cannot match le').default({}),
      })
      .optional(),
    /**
     * A counter's per-second increase, summed over the matching series, since a scrape about a minute earlier
     * (by any opsbot process); none on the first scrape or after a reset, which reads ok and says so.
     */
    rate: MetricSelection.optional(),
    warning: ThresholdsSchema.optional(),
    critical: ThresholdsSchema.optional(),
    timeout: Duration.prefault('5s'),
  })
  .refine(
    (check) =>
      [check.value, check.ratio, check.quantile, check.rate].filter((m) => m !== undefined).length === 1,
    'needs exactly one of value, ratio, quantile or rate',
  );
export type PrometheusHealthCheckConfig = z.infer<typeof PrometheusCheckSchema>;

/** `type: prometheus` (or any check with a `metrics` URL): grades a value, ratio, quantile or rate of a scrape. */
export const prometheusCheck = {
  type: 'prometheus',
  configSchema: PrometheusCheckSchema,
  inferredFrom: ['metrics'],
  run: (config, deps) => runPrometheusCheck(config, deps.windows),
} satisfies CheckType<PrometheusHealthCheckConfig>;

/**
 * Scrapes a `/metrics` endpoint once and grades its one measurement, a ratio, quantile or rate over the
 * increase since an earlier scrape in `windows`; never throws, never follows redirects.
 */
export async function runPrometheusCheck(
  check: Omit<PrometheusHealthCheckConfig, 'type'>,
  windows: CounterWindowStore,
  now: () => number = performance.now.bind(performance),
): Promise<HealthResult> {
  const result = timedResult(check.name, now);
  try {
    const response = await fetch(check.metrics, {
      headers: { accept: 'text/plain;version=0.0.4' },
      redirect: 'manual',
      signal: AbortSignal.timeout(check.timeout),
    });
    const mediaType = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
    if (response.status !== 200 || (mediaType !== undefined && mediaType !== 'text/plain')) {
      await response.body?.cancel();
      return result(
        'critical',
        response.status !== 200
          ? `answered ${response.status}, expected 200`
          : `answered ${mediaType}, not the Prometheus text format`,
      );
    }
    const measured = await measure(check, parsePrometheusText(await readText(response)), windows);
    if ('problem' in measured) return result(measured.level, measured.problem);
    return result(levelOf(measured.value, check.warning, check.critical), measured.detail);
  } catch (error) {
    if (error instanceof Error && error.name === 'TimeoutError') {
      return result('critical', `no answer within ${check.timeout} ms`);
    }
    if (error instanceof ExpositionError)
      return result('critical', `the metrics are malformed: ${error.message}`);
    return result('critical', describeError(error));
  }
}

/** The body as UTF-8 text, read up to MAX_SCRAPE_BYTES. */
async function readText(response: Response): Promise<string> {
  const body = await readCappedBody(response, MAX_SCRAPE_BYTES);
  if (body.overLimit) throw new Error(`the metrics are larger than ${MAX_SCRAPE_BYTES / 1024 / 1024} MB`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body.bytes);
  } catch {
    throw new Error('the answer is not UTF-8 text');
  }
}

function compiles(pattern: string): boolean {
  try {
    labelMatcher(pattern);
    return true;
  } catch {
    return false;
  }
}
