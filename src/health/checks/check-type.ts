import type { Pool } from 'pg';
import { z } from 'zod';
import { Duration } from '../../config/duration.js';
import type { ConfigProblem, ServiceShape } from '../../config/problems.js';
import type { CounterWindowStore } from '../counter-windows.js';
import type { HealthResult } from '../levels.js';

/** What a check's run() may use besides its own config. */
export interface CheckDeps {
  /** The pool of one of the service's configured databases. */
  database(name: string): Pool;
  /** Earlier scrapes, shared by every process, that prometheus ratios and quantiles are measured from. */
  windows: CounterWindowStore;
}

/** One type of health check: its `type:`, its ops.yml schema, its config cross-checks and run(). */
export interface CheckType<C extends { type: string }> {
  readonly type: C['type'];
  readonly configSchema: z.ZodType<C>;
  /** Fields that mark an entry written without `type:` as this type, so ops.yml files from before it load. */
  readonly inferredFrom: readonly string[];
  /** Problems that need the surrounding service to see (a database it does not have, ...). */
  check?(config: C, service: ServiceShape): ConfigProblem[];
  /** Runs the check once, within its own timeout; never throws, a failure is a critical result. */
  run(config: C, deps: CheckDeps): Promise<HealthResult>;
}

/** A check's name, unique within its service: what `/ops status` and the ops channel show. */
const CheckName = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be lower-case letters, digits and dashes');

/**
 * Fields every health check has, whatever its type; `type` itself is inferred when left out. `sustained`
 * (optional, a duration) holds back a worse level until the check has been at it, or worse, run after run
 * for that long; until then the check shows the level it held before (ok if none) and why:
 *
 *   - { name: api, url: "http://localhost:8000/health", sustained: 5m }
 *   - { name: latency, metrics: "http://localhost:8000/metrics", quantile: { histogram: benchmark_response_time_seconds, q: 0.95 },
 *       warning: { above: 2 }, sustained: 2m }
 *
 * Recovery is immediate. The runs of every opsbot process count (see src/health/sustained.ts).
 */
export function baseCheckFields<T extends string>(type: T) {
  return { type: z.literal(type), name: CheckName, sustained: Duration.optional() };
}

/** Levels for a measured number: past `above` or under `below` is that level. */
export const ThresholdsSchema = z
  .strictObject({ above: z.number().optional(), below: z.number().optional() })
  .refine((t) => t.above !== undefined || t.below !== undefined, 'needs above or below');
