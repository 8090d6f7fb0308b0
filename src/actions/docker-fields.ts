import type { z } from 'zod';
import { ComposeName } from '../config/compose.js';
import type { ConfigProblem, ServiceShape } from '../config/problems.js';
import { type ActionKind, baseActionFields } from './types.js';

/**
 * Fields every docker.* action has: the compose service it acts on; `summary` may be left out (DESIGN §11
 * writes these entries without one), and a line naming the service is generated.
 */
export const dockerFields = {
  summary: baseActionFields.summary.optional(),
  role: baseActionFields.role,
  risk: baseActionFields.risk,
  service: ComposeName,
};

/** A docker.* entry's schema, its summary defaulting to `line(config)` when ops.yml gives none. */
export function withSummary<T extends { summary?: string | undefined }, S extends z.ZodType<T>>(
  schema: S,
  line: (config: z.output<S>) => string,
) {
  return schema.transform((config) => ({ ...config, summary: config.summary ?? line(config) }));
}

/** The compose service must be one the service's compose section allows. */
export function composeServiceProblems(composeService: string, service: ServiceShape): ConfigProblem[] {
  if (service.compose === undefined) {
    return [{ path: ['kind'], message: 'needs a compose section in its service (project, docker)' }];
  }
  const listed = service.compose.services;
  if (listed === undefined || listed.includes(composeService)) return [];
  return [
    { path: ['service'], message: `is not one of the compose section's services (${listed.join(', ')})` },
  ];
}

/**
 * What every docker.* kind does alike: its target is the compose service (one run per compose service at a
 * time), which must be one the compose section allows.
 */
export const onComposeService = {
  target: (config: { service: string }) => config.service,
  check: (config: { service: string }, service: ServiceShape) =>
    composeServiceProblems(config.service, service),
} satisfies Pick<ActionKind<{ kind: string; service: string }>, 'target' | 'check'>;
