import type { HttpHealthCheckConfig } from '../config/ops-config.js';
import { describeError } from '../describe-error.js';
import type { HealthResult } from './levels.js';
import { timedResult } from './levels.js';

/** Answers larger than this are not read in full: a health endpoint has no reason to send more. */
const MAX_BODY = 256 * 1024;

/** Calls a health endpoint once: status, JSON expectations and latency budget; never follows redirects. */
export async function runHttpCheck(
  check: HttpHealthCheckConfig,
  now: () => number = performance.now.bind(performance),
): Promise<HealthResult> {
  const result = timedResult(check.name, now);
  try {
    const response = await fetch(check.url, {
      redirect: 'manual',
      signal: AbortSignal.timeout(check.timeout),
    });
    const text = (await response.text()).slice(0, MAX_BODY);
    const expected = check.expect?.status ?? 200;
    if (response.status !== expected)
      return result('critical', `answered ${response.status}, expected ${expected}`);
    if (check.expect?.json) {
      const answer = parseJson(text);
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
