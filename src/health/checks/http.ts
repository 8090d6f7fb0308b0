import { z } from 'zod';
import { Duration } from '../../config/duration.js';
import { describeError } from '../../describe-error.js';
import { readCappedBody } from '../../net/capped-body.js';
import { type HealthResult, timedResult } from '../levels.js';
import { baseCheckFields, type CheckType } from './check-type.js';

/** Answers larger than this are not read on: a health endpoint has no reason to send more. */
const MAX_BODY = 256 * 1024;

/** An HTTP health check: the status and JSON it must answer with, within a latency budget. */
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
 * Calls a health endpoint once: status, JSON expectations and latency budget; never follows redirects, and
 * stops reading an answer past MAX_BODY (critical).
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
    if (check.expect?.json) {
      const answer = parseJson(new TextDecoder().decode(body.bytes));
      if (answer === undefined) return result('critical', 'the answer is not JSON');
      const mismatch = jsonMismatch(check.expect.json, answer, '');
      if (mismatch) return result('critical', mismatch);
    }
    const done = result('ok', `${response.status}`);
    if (done.latencyMs > check.latency_budget) {
      return {
        ...done,
        level: 'warning',
        detail: `${response.status}, slower than its ${check.latency_budget} ms budget`,
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

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
