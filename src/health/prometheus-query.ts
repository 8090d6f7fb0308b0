import { type Exposition, familyOf, parseSampleValue, type Sample } from './prometheus-text.js';

/** Label values to match, each a regular expression over the whole value as in PromQL's `=~`. */
export type LabelMatchers = Readonly<Record<string, string>>;

/** One cumulative histogram bucket: how many observations were at most `le`. */
export interface Bucket {
  le: number;
  count: number;
}

/** A label pattern compiled as PromQL compiles `=~`: anchored, so `5..` is any 5xx and `GET|POST` is either. */
export function labelMatcher(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 's');
}

/** `name{a=~"x"}`: how a selection reads in a health check's detail. */
export function describeSelection(metric: string, labels: LabelMatchers): string {
  const matchers = Object.entries(labels).map(([name, pattern]) => `${name}=~${JSON.stringify(pattern)}`);
  return matchers.length > 0 ? `${metric}{${matchers.join(',')}}` : metric;
}

/** Whether the scrape knows the metric at all: a sample of it, or its `# TYPE`/`# HELP` (a labelled metric has no samples until first used). */
export function hasMetric(exposition: Exposition, name: string): boolean {
  return (
    exposition.types.has(name) ||
    exposition.help.has(name) ||
    familyOf(exposition, name).name !== name ||
    exposition.samples.some((sample) => sample.name === name)
  );
}

/** The samples named `metric` whose labels all match; a label a sample lacks reads as "", as in PromQL. */
export function selectSamples(exposition: Exposition, metric: string, labels: LabelMatchers): Sample[] {
  const matchers = Object.entries(labels).map(([name, pattern]) => [name, labelMatcher(pattern)] as const);
  return exposition.samples.filter(
    (sample) =>
      sample.name === metric &&
      matchers.every(([name, matcher]) => matcher.test(sample.labels.get(name) ?? '')),
  );
}

/** The sum of the samples' values. */
export function sumOf(samples: readonly Sample[]): number {
  return samples.reduce((total, sample) => total + sample.value, 0);
}

/** Histogram `name`'s cumulative buckets over the matching series, summed per upper bound, lowest first. */
export function histogramBuckets(exposition: Exposition, name: string, labels: LabelMatchers): Bucket[] {
  const counts = new Map<number, number>();
  for (const sample of selectSamples(exposition, `${name}_bucket`, labels)) {
    const text = sample.labels.get('le') ?? '';
    const le = parseSampleValue(text);
    if (le === undefined || Number.isNaN(le))
      throw new Error(`${name}_bucket has le="${text}", not a number`);
    counts.set(le, (counts.get(le) ?? 0) + sample.value);
  }
  return [...counts].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
}

/**
 * The q-quantile (0 < q < 1) of cumulative buckets, as PromQL's histogram_quantile computes it: linear
 * interpolation inside the bucket the rank falls in; the largest finite bound when it falls in +Inf; NaN
 * without a +Inf bucket or observations.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number {
  const last = buckets.at(-1);
  if (last === undefined || last.le !== Number.POSITIVE_INFINITY || buckets.length < 2) return Number.NaN;
  let highest = 0; // counts must not decrease; float noise in summed buckets can make them
  const cumulative = buckets.map((bucket) => {
    highest = Math.max(highest, bucket.count);
    return { le: bucket.le, count: highest };
  });
  const observations = highest;
  if (observations === 0) return Number.NaN;
  const rank = q * observations;
  const b = cumulative.findIndex((bucket) => bucket.count >= rank);
  if (b === -1 || b === cumulative.length - 1) return (cumulative.at(-2) as Bucket).le;
  const bucket = cumulative[b] as Bucket;
  if (b === 0 && bucket.le <= 0) return bucket.le;
  const below = b > 0 ? (cumulative[b - 1] as Bucket) : { le: 0, count: 0 };
  return below.le + (bucket.le - below.le) * ((rank - below.count) / (bucket.count - below.count));
}
