/** The Prometheus text exposition format (0.0.4), as prom-client and exporters serve it on `/metrics`. */

/** What a `# TYPE` line may declare; a metric without one is `untyped`. */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** One sample line: `name{label="value",...} value [timestamp]`. */
export interface Sample {
  name: string;
  labels: ReadonlyMap<string, string>;
  value: number;
  /** Milliseconds since the epoch, when the line carries one. */
  timestamp?: number;
}

/** A parsed scrape: every sample in order, and what `# TYPE` and `# HELP` said about each metric family. */
export interface Exposition {
  samples: Sample[];
  types: ReadonlyMap<string, MetricType>;
  help: ReadonlyMap<string, string>;
}

/** The text is not valid exposition format; the message names the line. */
export class ExpositionError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'ExpositionError';
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const WHOLE_METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
/** The samples a histogram or summary `x` writes besides `x` itself; a counter may add `_total`. */
const FAMILY_SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created'] as const;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const ESCAPES: ReadonlyMap<string, string> = new Map([
  ['\\', '\\'],
  ['"', '"'],
  ['n', '\n'],
]);

/** Parses a whole scrape; throws ExpositionError at the first malformed line, never returns a guess. */
export function parsePrometheusText(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, MetricType>();
  const help = new Map<string, string>();
  const firstLineOfSeries = new Map<string, number>();
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    const fail = (reason: string): never => {
      throw new ExpositionError(index + 1, reason);
    };
    if (line === '') continue;
    if (line.startsWith('#')) {
      parseComment(line, types, help, fail);
      continue;
    }
    const sample = parseSample(line, fail);
    checkFamilyLabels(sample, familyOf({ types }, sample.name), fail);
    const series = seriesKey(sample);
    const first = firstLineOfSeries.get(series);
    if (first !== undefined) fail(`${series} appears again (first on line ${first})`);
    firstLineOfSeries.set(series, index + 1);
    samples.push(sample);
  }
  return { samples, types, help };
}

/** A sample value: decimal, `+Inf`, `-Inf` or `NaN`; undefined for anything else (`Number()` would guess). */
export function parseSampleValue(text: string): number | undefined {
  if (DECIMAL.test(text)) return Number(text);
  const lower = text.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  if (/^\+?inf(inity)?$/.test(lower)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/.test(lower)) return Number.NEGATIVE_INFINITY;
  return undefined;
}

/** The declared family a sample name belongs to (`x_bucket` is part of histogram `x`), else its own name. */
export function familyOf(
  exposition: Pick<Exposition, 'types'>,
  sampleName: string,
): { name: string; type: MetricType } {
  const own = exposition.types.get(sampleName);
  if (own) return { name: sampleName, type: own };
  for (const suffix of FAMILY_SUFFIXES) {
    if (!sampleName.endsWith(suffix)) continue;
    const name = sampleName.slice(0, -suffix.length);
    const type = exposition.types.get(name);
    if (type && type !== 'gauge' && type !== 'untyped') return { name, type };
  }
  return { name: sampleName, type: 'untyped' };
}

/** `name{a="1",b="2"}` with labels sorted: the identity of a series. */
export function seriesKey(sample: Pick<Sample, 'name' | 'labels'>): string {
  const labels = [...sample.labels]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`);
  return labels.length > 0 ? `${sample.name}{${labels.join(',')}}` : sample.name;
}

function parseComment(
  line: string,
  types: Map<string, MetricType>,
  help: Map<string, string>,
  fail: (reason: string) => never,
): void {
  const match = /^#[ \t]+(HELP|TYPE)(?:[ \t]+(\S+)(?:[ \t](.*))?)?$/.exec(line);
  if (!match) return; // any other comment
  const [, keyword, name = '', rest = ''] = match;
  if (!WHOLE_METRIC_NAME.test(name)) fail(`# ${keyword} needs a metric name`);
  if (keyword === 'HELP') {
    if (help.has(name)) fail(`a second # HELP for ${name}`);
    help.set(
      name,
      rest.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\')),
    );
    return;
  }
  const type = rest.trim();
  if (!(TYPES as readonly string[]).includes(type)) {
    fail(`# TYPE ${name} has an unknown type "${type}" (known: ${TYPES.join(', ')})`);
  }
  if (types.has(name)) fail(`a second # TYPE for ${name}`);
  types.set(name, type as MetricType);
}

function parseSample(line: string, fail: (reason: string) => never): Sample {
  const name = METRIC_NAME.exec(line)?.[0];
  if (name === undefined) return fail(`expected a metric name, found "${clip(line)}"`);
  let at = name.length;
  const labels = new Map<string, string>();
  if (line[at] === '{') at = parseLabels(line, at + 1, labels, fail);
  const rest = line.slice(at);
  if (!/^[ \t]/.test(rest)) fail(`expected a space and a value after ${name}`);
  const fields = rest.trim().split(/[ \t]+/);
  if (fields.length > 2) fail(`unexpected "${clip(fields.slice(2).join(' '))}" after the timestamp`);
  const [valueText = '', timestampText] = fields;
  const value = parseSampleValue(valueText);
  if (value === undefined) return fail(`"${clip(valueText)}" is not a number`);
  if (timestampText === undefined) return { name, labels, value };
  const timestamp = /^-?\d+$/.test(timestampText) ? Number(timestampText) : Number.NaN;
  if (!Number.isSafeInteger(timestamp)) fail(`"${clip(timestampText)}" is not a timestamp in milliseconds`);
  return { name, labels, value, timestamp };
}

/** Reads `a="1",b="2"}` from `start`, filling `labels`; returns the index after the closing brace. */
function parseLabels(
  line: string,
  start: number,
  labels: Map<string, string>,
  fail: (reason: string) => never,
): number {
  let at = start;
  const skipBlanks = () => {
    while (line[at] === ' ' || line[at] === '\t') at++;
  };
  for (;;) {
    skipBlanks();
    if (line[at] === '}') return at + 1;
    const name = LABEL_NAME.exec(line.slice(at))?.[0];
    if (name === undefined) return fail(`expected a label name or "}" at column ${at + 1}`);
    if (labels.has(name)) fail(`label ${name} appears twice`);
    at += name.length;
    skipBlanks();
    if (line[at] !== '=') fail(`expected "=" after label ${name}`);
    at++;
    skipBlanks();
    if (line[at] !== '"') fail(`the value of label ${name} must be in double quotes`);
    let value = '';
    for (at++; line[at] !== '"'; at++) {
      const c = line[at];
      if (c === undefined) return fail(`the value of label ${name} has no closing quote`);
      if (c === '\\') {
        const escaped = ESCAPES.get(line[++at] ?? '');
        if (escaped === undefined) fail(`label ${name} has an invalid escape "\\${line[at] ?? ''}"`);
        value += escaped;
      } else value += c;
    }
    labels.set(name, value);
    at++;
    skipBlanks();
    if (line[at] === ',') at++;
    else if (line[at] !== '}') fail(`expected "," or "}" after the value of label ${name}`);
  }
}

/** Histogram buckets need a numeric `le`, summary quantiles a numeric `quantile`: else the maths is wrong. */
function checkFamilyLabels(
  sample: Sample,
  family: { name: string; type: MetricType },
  fail: (reason: string) => never,
): void {
  const needs =
    family.type === 'histogram' && sample.name === `${family.name}_bucket`
      ? 'le'
      : family.type === 'summary' && sample.name === family.name
        ? 'quantile'
        : undefined;
  if (needs === undefined) return;
  const bound = sample.labels.get(needs);
  if (bound === undefined) fail(`${sample.name} has no "${needs}" label`);
  else if (parseSampleValue(bound) === undefined)
    fail(`${sample.name} has ${needs}="${clip(bound)}", not a number`);
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
