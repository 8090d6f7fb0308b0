import { describeError } from '../describe-error.js';
import type { CounterWindowStore, Window } from './counter-windows.js';
import type { HealthLevel } from './levels.js';
import {
  describeSelection,
  hasMetric,
  histogramBuckets,
  histogramQuantile,
  type LabelMatchers,
  selectSamples,
  sumOf,
} from './prometheus-query.js';
import { type Exposition, familyOf } from './prometheus-text.js';

/** What a scrape gave for a check: the number to grade and how it reads, or why there is no number. */
export type Measurement = { value: number; detail: string } | { level: HealthLevel; problem: string };

type Selection = { metric: string; labels: LabelMatchers };
type Quantile = { histogram: string; q: number; labels: LabelMatchers };

/** What a prometheus check measures: its scrape URL and its one `value`, `ratio`, `quantile` or `rate`. */
export interface MeasureSpec {
  metrics: string;
  value?: Selection | undefined;
  ratio?: { of: Selection; to: Selection } | undefined;
  quantile?: Quantile | undefined;
  rate?: Selection | undefined;
}

/** The +Inf bucket's key in a reading: the count of every observation. */
const INF = String(Number.POSITIVE_INFINITY);

/** Measures a check's one `value`, `ratio`, `quantile` or `rate` in a parsed scrape, counters over `windows`. */
export async function measure(
  check: MeasureSpec,
  exposition: Exposition,
  windows: CounterWindowStore,
): Promise<Measurement> {
  // A rate's key gains a fourth element, so ratio and quantile checks keep the keys of their stored scrapes.
  const key = JSON.stringify([
    check.metrics,
    check.ratio,
    check.quantile,
    ...(check.rate ? [check.rate] : []),
  ]);
  const windowOf = (denominator: string) => (counters: ReadonlyMap<string, number>) =>
    windows.since(key, counters, denominator).catch(
      (error: unknown): Window => ({
        kind: 'totals',
        why: `the earlier scrapes could not be read: ${describeError(error)}`,
      }),
    );
  if (check.ratio) return measureRatio(check.ratio, exposition, windowOf('to'));
  if (check.quantile) return measureQuantile(check.quantile, exposition, windowOf(INF));
  if (check.rate) return measureRate(check.rate, exposition, (counters) => windows.since(key, counters));
  if (check.value) return measureValue(check.value, exposition);
  return { level: 'critical', problem: 'the check has no value, ratio, quantile or rate' };
}

/** The window of this scrape's counters; never rejects (an unreadable store reads as the totals). */
type WindowOf = (counters: ReadonlyMap<string, number>) => Promise<Window>;

function measureValue(selection: Selection, exposition: Exposition): Measurement {
  const samples = selectSamples(exposition, selection.metric, selection.labels);
  if (samples.length === 0) return noSeries(exposition, selection.metric, selection.labels);
  const value = sumOf(samples);
  const series = samples.length > 1 ? ` (sum of ${samples.length} series)` : '';
  return numberOr(
    value,
    `${describeSelection(selection.metric, selection.labels)} ${formatNumber(value)}${series}`,
  );
}

async function measureRatio(
  ratio: { of: Selection; to: Selection },
  exposition: Exposition,
  windowOf: WindowOf,
): Promise<Measurement> {
  if (!hasMetric(exposition, ratio.of.metric)) return noSeries(exposition, ratio.of.metric, {});
  const toSamples = selectSamples(exposition, ratio.to.metric, ratio.to.labels);
  if (toSamples.length === 0) return noSeries(exposition, ratio.to.metric, ratio.to.labels);
  // A labelled counter has no series until its first event: no 5xx series yet means no 5xx.
  const totals = new Map([
    ['of', sumOf(selectSamples(exposition, ratio.of.metric, ratio.of.labels))],
    ['to', sumOf(toSamples)],
  ]);
  const gauges = [ratio.of.metric, ratio.to.metric].some((m) => familyOf(exposition, m).type === 'gauge');
  const window = gauges ? undefined : await windowOf(totals);
  const counters = window?.kind === 'increase' ? window.counters : totals;
  const of = counters.get('of') ?? Number.NaN;
  const to = counters.get('to') ?? Number.NaN;
  if (to === 0) {
    const what = describeSelection(ratio.to.metric, ratio.to.labels);
    return { level: 'warning', problem: `${what} has counted nothing yet, so there is no ratio` };
  }
  return numberOr(
    of / to,
    `${formatNumber((of / to) * 100)} % (${formatNumber(of)} of ${formatNumber(to)}) ${span(window)}`,
  );
}

async function measureQuantile(
  quantile: Quantile,
  exposition: Exposition,
  windowOf: WindowOf,
): Promise<Measurement> {
  const { histogram, q, labels } = quantile;
  const type = familyOf(exposition, histogram).type;
  if (type !== 'histogram' && type !== 'untyped') {
    return { level: 'critical', problem: `${histogram} is a ${type}, not a histogram` };
  }
  const totals = histogramBuckets(exposition, histogram, labels);
  if (totals.length === 0) return noSeries(exposition, `${histogram}_bucket`, labels);
  if (totals.at(-1)?.le !== Number.POSITIVE_INFINITY) {
    return { level: 'critical', problem: `${histogram} has no le="+Inf" bucket, so no quantile` };
  }
  const window = await windowOf(new Map(totals.map((b) => [String(b.le), b.count])));
  const buckets =
    window.kind === 'increase'
      ? totals.map((b) => ({ le: b.le, count: window.counters.get(String(b.le)) ?? 0 }))
      : totals;
  const observations = buckets.at(-1)?.count ?? 0;
  const name = `p${Number((q * 100).toPrecision(6))}`;
  if (observations === 0) {
    return { level: 'warning', problem: `${histogram} has no observations yet, so no ${name}` };
  }
  const value = histogramQuantile(q, buckets);
  const unit = unitOf(histogram);
  const largest = buckets.at(-2);
  const reads =
    largest !== undefined && largest.count < q * observations
      ? `${name} above ${formatNumber(value)}${unit} (the largest bucket)`
      : `${name} ${formatNumber(value)}${unit}`;
  const counted = `${formatNumber(observations)} observation${observations === 1 ? '' : 's'}`;
  return numberOr(value, `${reads} from ${counted} ${span(window)}`);
}

/** A rate over less than this is not measured: a window of moments says nothing about throughput. */
const MIN_RATE_WINDOW_MS = 1_000;

/**
 * The per-second increase of a counter, summed over the matching series, since an earlier scrape. With no
 * earlier scrape to measure from (the first, or the counter went down: a restart), there is no rate yet: ok,
 * saying so, since an unknown rate is no sign of trouble and the next scrape measures it.
 */
async function measureRate(
  selection: Selection,
  exposition: Exposition,
  since: (counters: ReadonlyMap<string, number>) => Promise<Window>,
): Promise<Measurement> {
  const { metric, labels } = selection;
  if (!hasMetric(exposition, metric)) return noSeries(exposition, metric, {});
  const type = familyOf(exposition, metric).type;
  if (type === 'gauge')
    return { level: 'critical', problem: `${metric} is a gauge, not a counter, so no rate` };
  // A labelled counter has no series until its first event: no 5xx series yet means none counted.
  const total = sumOf(selectSamples(exposition, metric, labels));
  const what = describeSelection(metric, labels);
  let window: Window;
  try {
    window = await since(new Map([['rate', total]]));
  } catch (error) {
    return {
      level: 'warning',
      problem: `no rate of ${what}: the earlier scrapes could not be read: ${describeError(error)}`,
    };
  }
  if (window.kind === 'totals') {
    return { level: 'ok', problem: `no rate of ${what} yet (${window.why}); the next scrape measures it` };
  }
  if (window.ms < MIN_RATE_WINDOW_MS) {
    // Two scrapes moments apart (the probe and an `/ops status`) would give a rate of a few ms: noise.
    const age = 'the earliest scrape kept is less than a second old';
    return { level: 'ok', problem: `no rate of ${what} yet (${age}); a later scrape measures it` };
  }
  const perSecond = ((window.counters.get('rate') ?? 0) * 1000) / Math.max(1, window.ms);
  return numberOr(
    perSecond,
    `${what} ${formatNumber(perSecond)}${rateUnit(metric)} over the last ${window.seconds} s`,
  );
}

/** No series matched: say whether the metric is missing altogether or only the labels do not match. */
function noSeries(exposition: Exposition, metric: string, labels: LabelMatchers): Measurement {
  const problem = hasMetric(exposition, metric)
    ? `no series matches ${describeSelection(metric, labels)}`
    : `the metrics have no ${metric}`;
  return { level: 'critical', problem };
}

function numberOr(value: number, detail: string): Measurement {
  return Number.isNaN(value) ? { level: 'critical', problem: `measured NaN: ${detail}` } : { value, detail };
}

function span(window: Window | undefined): string {
  if (window === undefined) return 'now';
  if (window.kind === 'increase') return `in the last ${window.seconds} s`;
  return `since the counters started (${window.why})`;
}

/** A counter's unit per second by its name: `req/s` for requests, `B/s` for bytes, else `/s`. */
function rateUnit(metric: string): string {
  const name = metric.replace(/_total$/, '');
  if (name.endsWith('requests')) return ' req/s';
  return unitOf(name) === '' ? '/s' : `${unitOf(name)}/s`;
}

/** Base units by metric-name suffix, as Prometheus names them. */
function unitOf(metric: string): string {
  if (metric.endsWith('_seconds')) return ' s';
  if (metric.endsWith('_bytes')) return ' B';
  return '';
}

/** `6,000`, `0.42`, `0.000123`, `1,235`: whole numbers grouped, others to three significant digits. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) || Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return String(Number(value.toPrecision(3)));
}
