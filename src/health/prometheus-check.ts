import type { PrometheusHealthCheckConfig } from '../config/ops-config.js';
import { describeError } from '../describe-error.js';
import type { CounterWindowStore } from './counter-windows.js';
import { type HealthResult, levelOf, timedResult } from './levels.js';
import { measure } from './prometheus-measure.js';
import { ExpositionError, parsePrometheusText } from './prometheus-text.js';

/** A scrape larger than this is refused, not parsed: even large exporters stay well under it. */
const MAX_SCRAPE_BYTES = 10 * 1024 * 1024;

/**
 * Scrapes a `/metrics` endpoint once and grades its one measurement, a ratio or quantile over the increase
 * since an earlier scrape in `windows`; never throws, never follows redirects.
 */
export async function runPrometheusCheck(
  check: PrometheusHealthCheckConfig,
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
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > MAX_SCRAPE_BYTES)
      throw new Error(`the metrics are larger than ${MAX_SCRAPE_BYTES / 1024 / 1024} MB`);
    chunks.push(chunk);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new Error('the answer is not UTF-8 text');
  }
}
