import { z } from 'zod';
import { Duration } from '../../config/duration.js';
import { describeError } from '../../describe-error.js';
import { readCappedBody } from '../../net/capped-body.js';
import { type HealthLevel, type HealthResult, levelOf, timedResult, worstLevel } from '../levels.js';
import { baseCheckFields, type CheckType, ThresholdsSchema } from './check-type.js';

/** Answers larger than this are not read on: a health endpoint has no reason to send more. */
const MAX_BODY = 256 * 1024;

/**
 * Where a number sits in a JSON answer: keys separated by dots (`sync_jobs.failed`). Within a list, a key
 * picks an item: `0`, `1`, ... by position, or `name=database` the first item whose `name` is `database`
 * (`checks.name=database.latency_ms`). A key that itself has a dot in it needs the path written as a list
 * of keys instead (`[models, "llama3.2", size]`).
 */
const FieldPath = z.union([
  z.string().regex(/^[^.]+(\.[^.]+)*$/, 'must be keys separated by dots, such as sync_jobs.failed'),
  z.array(z.string().min(1)).min(1),
]);

/** A level for a field holding a state rather than a number: the values that are this level (`is: [fail]`). */
const StatesSchema = z.strictObject({ is: z.array(z.string().min(1)).min(1) });
type States = z.infer<typeof StatesSchema>;

/** Levels for one field of the answer: numeric (`above`/`below`), or states it may be (`is: [warn]`). */
const FieldThresholdsSchema = z
  .strictObject({
    field: FieldPath,
    warning: ThresholdsSchema.or(StatesSchema).optional(),
    critical: ThresholdsSchema.or(StatesSchema).optional(),
  })
  .refine((t) => t.warning !== undefined || t.critical !== undefined, 'needs warning or critical')
  .refine(
    (t) => !(t.warning && t.critical) || 'is' in t.warning === 'is' in t.critical,
    'grades a number (above, below) or a state (is), not both',
  );
type FieldThresholds = z.infer<typeof FieldThresholdsSchema>;

/**
 * An HTTP health check: the status and JSON it must answer with, and levels for numbers in that JSON, within a
 * latency budget. In ops.yml (Redmine RAG runbook 004, "high `failed` sync job count"; the runbook shows no
 * body and no number: the app's HealthResponse has `sync_jobs: { queued, running, finished, failed }` and
 * `checks: [{ name, status, detail, latency_ms }]`, and the levels here are examples):
 *
 *   - name: healthz
 *     url: "${REDMINE_RAG_URL}/healthz"
 *     thresholds:
 *       - { field: sync_jobs.failed, warning: { above: 0 }, critical: { above: 5 } }
 *       - { field: checks.name=database.latency_ms, warning: { above: 500 } }
 *
 * A field that is missing or not a JSON number is critical; otherwise the worst level counts and the detail
 * names each field's value (`200, sync_jobs.failed = 7 (critical), checks.name=database.latency_ms = 3`).
 */
export const HttpCheckSchema = z.strictObject({
  ...baseCheckFields('http'),
  url: z.url(),
  expect: z
    .strictObject({
      status: z.number().int().min(100).max(599).default(200),
      /** Expected values by field, nested; `"*"` matches every field of an object (`services: { "*": healthy }`). */
      json: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  /** Levels for numbers or states in the JSON answer, each at its field path; the worst level counts. */
  thresholds: z.array(FieldThresholdsSchema).min(1).optional(),
  /** Slower than this is a warning. */
  latency_budget: Duration.prefault('1s'),
  /** No answer within this is critical. */
  timeout: Duration.prefault('5s'),
});
export type HttpHealthCheckConfig = z.infer<typeof HttpCheckSchema>;

/** `type: http` (or any check with a `url`): calls a health endpoint. */
export const httpCheck = {
  type: 'http',
  configSchema: HttpCheckSchema,
  inferredFrom: ['url'],
  run: (config) => runHttpCheck(config),
} satisfies CheckType<HttpHealthCheckConfig>;

/**
 * Calls a health endpoint once: status, JSON expectations, field levels and latency budget; never follows
 * redirects, and stops reading an answer past MAX_BODY (critical).
 */
export async function runHttpCheck(
  check: Omit<HttpHealthCheckConfig, 'type'>,
  now: () => number = performance.now.bind(performance),
): Promise<HealthResult> {
  const result = timedResult(check.name, now);
  try {
    const response = await fetch(check.url, {
      redirect: 'manual',
      signal: AbortSignal.timeout(check.timeout),
    });
    const body = await readCappedBody(response, MAX_BODY);
    const expected = check.expect?.status ?? 200;
    if (response.status !== expected)
      return result('critical', `answered ${response.status}, expected ${expected}`);
    if (body.overLimit) return result('critical', `the answer is larger than ${MAX_BODY / 1024} KiB`);
    let fields: GradedFields = { level: 'ok', values: [] };
    if (check.expect?.json || check.thresholds) {
      const answer = parseJson(new TextDecoder().decode(body.bytes));
      if (answer === undefined) return result('critical', 'the answer is not JSON');
      const mismatch = check.expect?.json && jsonMismatch(check.expect.json, answer, '');
      if (mismatch) return result('critical', mismatch);
      const graded = gradeFields(check.thresholds ?? [], answer);
      if (typeof graded === 'string') return result('critical', graded);
      fields = graded;
    }
    const done = result(fields.level, [`${response.status}`, ...fields.values].join(', '));
    if (done.latencyMs > check.latency_budget) {
      return {
        ...done,
        level: worstLevel([done.level, 'warning']),
        detail: `${done.detail}, slower than its ${check.latency_budget} ms budget`,
      };
    }
    return done;
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    return result('critical', timedOut ? `no answer within ${check.timeout} ms` : describeError(error));
  }
}

/** The first place where `actual` differs from `expected` (nested; `*` covers every field), or undefined. */
export function jsonMismatch(expected: unknown, actual: unknown, path: string): string | undefined {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      return `${path || 'the answer'} is not an object`;
    }
    const fields = actual as Record<string, unknown>;
    for (const [key, want] of Object.entries(expected)) {
      const keys = key === '*' ? Object.keys(fields) : [key];
      for (const name of keys) {
        const mismatch = jsonMismatch(
          want,
          Object.hasOwn(fields, name) ? fields[name] : undefined,
          path ? `${path}.${name}` : name,
        );
        if (mismatch) return mismatch;
      }
    }
    return undefined;
  }
  return Object.is(expected, actual)
    ? undefined
    : `${path} is ${JSON.stringify(actual) ?? 'missing'}, expected ${JSON.stringify(expected)}`;
}

/** The worst level among an answer's graded fields, and each field's value as the detail shows it. */
interface GradedFields {
  level: HealthLevel;
  values: string[];
}

/** Grades each field against its levels; one sentence instead when a field is missing or of the wrong type. */
function gradeFields(thresholds: readonly FieldThresholds[], answer: unknown): GradedFields | string {
  const graded: GradedFields = { level: 'ok', values: [] };
  for (const { field, warning, critical } of thresholds) {
    const name = typeof field === 'string' ? field : field.join('.');
    const value = fieldAt(answer, typeof field === 'string' ? field.split('.') : field);
    if (value === undefined) return `the answer has no ${name}`;
    let level: HealthLevel;
    if (isStates(warning) || isStates(critical)) {
      if (typeof value !== 'string') return `${name} is ${describeValue(value)}, not a state`;
      level = statesOf(critical).includes(value)
        ? 'critical'
        : statesOf(warning).includes(value)
          ? 'warning'
          : 'ok';
    } else {
      if (typeof value !== 'number') return `${name} is ${describeValue(value)}, not a number`;
      level = levelOf(value, warning, critical);
    }
    graded.level = worstLevel([graded.level, level]);
    graded.values.push(level === 'ok' ? `${name} = ${value}` : `${name} = ${value} (${level})`);
  }
  return graded;
}

function isStates(level: FieldThresholds['warning']): level is States {
  return level !== undefined && 'is' in level;
}

/** The states a level lists; none for a numeric level or no level. */
function statesOf(level: FieldThresholds['warning']): readonly string[] {
  return isStates(level) ? level.is : [];
}

/** The value at a path of keys (in a list, by position or `field=value`); undefined if there is none. */
function fieldAt(answer: unknown, path: readonly string[]): unknown {
  let here = answer;
  for (const key of path) {
    if (Array.isArray(here)) here = /^\d+$/.test(key) ? here[Number(key)] : here.find(itemWhere(key));
    else if (isObject(here) && Object.hasOwn(here, key)) here = here[key];
    else return undefined;
  }
  return here;
}

/** `name=database`: matches an object whose `name` field is the string, number or boolean `database`. */
function itemWhere(key: string): (item: unknown) => boolean {
  const at = key.indexOf('=');
  if (at < 1) return () => false;
  const [field, wanted] = [key.slice(0, at), key.slice(at + 1)];
  return (item) =>
    isObject(item) &&
    Object.hasOwn(item, field) &&
    ['string', 'number', 'boolean'].includes(typeof item[field]) &&
    String(item[field]) === wanted;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A JSON value other than a number as a short phrase: `"12"`, `null`, `an object`, `a list`. */
function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
