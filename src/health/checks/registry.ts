import { z } from 'zod';
import type { ConfigProblem, ServiceShape } from '../../config/problems.js';
import type { HealthResult } from '../levels.js';
import type { CheckDeps, CheckType } from './check-type.js';
import { httpCheck } from './http.js';
import { prometheusCheck } from './prometheus.js';
import { redisCheck } from './redis.js';
import { sqlCheck } from './sql.js';

// Adding a check type: its file (schema, inferredFrom, run), imported here and added to the list below.

/** Every health check type opsbot knows; `type:` in ops.yml, its inference and runCheck come from this list. */
const CHECK_TYPES = [httpCheck, sqlCheck, redisCheck, prometheusCheck] as const;

/** The tuple of the types' schemas, as discriminatedUnion takes it. */
type Schemas<T extends readonly { configSchema: unknown }[]> = {
  -readonly [K in keyof T]: T[K]['configSchema'];
};
const TYPE_NAMES = CHECK_TYPES.map((type) => type.type).join(', ');
const INFERRED_FROM = CHECK_TYPES.flatMap((type) => type.inferredFrom).join(', ');

/** A health check entry of ops.yml, of any type: `type:` as written, or inferred from its fields. */
export const HealthCheckSchema = z.preprocess(
  inferType,
  z.discriminatedUnion('type', CHECK_TYPES.map((type) => type.configSchema) as Schemas<typeof CHECK_TYPES>, {
    error: (issue) => typeProblem(issue.input),
  }),
);
export type HealthCheckConfig = z.infer<typeof HealthCheckSchema>;

const byType = new Map<string, CheckType<HealthCheckConfig>>(
  CHECK_TYPES.map((type) => [type.type, type as CheckType<HealthCheckConfig>]),
);

/** Runs one health check of any type through its type; never throws, a failure is a critical result. */
export function runCheck(check: HealthCheckConfig, deps: CheckDeps): Promise<HealthResult> {
  return typeOf(check).run(check, deps);
}

/** Problems of a raw ops.yml check that need its service to see (its type's check()); none if it is invalid. */
export function healthCheckProblems(raw: unknown, service: ServiceShape): ConfigProblem[] {
  const parsed = HealthCheckSchema.safeParse(raw);
  if (!parsed.success) return [];
  return typeOf(parsed.data).check?.(parsed.data, service) ?? [];
}

function typeOf(check: HealthCheckConfig): CheckType<HealthCheckConfig> {
  const type = byType.get(check.type);
  if (!type) throw new Error(`Unknown health check type ${check.type}`);
  return type;
}

/** An entry written without `type:` gets the one type whose fields it has (`url`: http, ...), as before types. */
function inferType(raw: unknown): unknown {
  if (!isRecord(raw) || Object.hasOwn(raw, 'type')) return raw;
  const [only, ...more] = typesFitting(raw);
  return only && more.length === 0 ? { type: only.type, ...raw } : raw;
}

/** Why an entry has no usable `type`; undefined (zod's own sentence) when it is not a map at all. */
function typeProblem(input: unknown): string | undefined {
  if (!isRecord(input)) return undefined;
  if (Object.hasOwn(input, 'type')) return `is not a check type opsbot knows (known: ${TYPE_NAMES})`;
  const fitting = typesFitting(input).map((type) => type.type);
  if (fitting.length > 1) return `is required: the fields fit more than one type (${fitting.join(', ')})`;
  return `is required: one of ${TYPE_NAMES} (left out, it is inferred from ${INFERRED_FROM})`;
}

function typesFitting(raw: Record<string, unknown>): (typeof CHECK_TYPES)[number][] {
  return CHECK_TYPES.filter((type) => type.inferredFrom.some((field) => Object.hasOwn(raw, field)));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
