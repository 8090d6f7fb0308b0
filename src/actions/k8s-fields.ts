import { z } from 'zod';
import { Duration } from '../config/duration.js';
import type { ConfigProblem, ServiceShape } from '../config/problems.js';
import { Argv, argvProblems } from './argv.js';
import type { ParamSpecs } from './params.js';
import { type ActionKind, baseActionFields } from './types.js';

/** Fields every k8s.* action has: the deployment it acts on and how long its rollout may take. */
export const k8sFields = {
  summary: baseActionFields.summary,
  role: baseActionFields.role,
  risk: baseActionFields.risk,
  deployment: z.string().min(1),
  /** After the change, the run follows the rollout this long before reporting it as failed. */
  rollout_deadline: Duration.prefault('5m'),
};

/** The deployment must be one the service's kubernetes section lists. */
export function deploymentProblems(deployment: string, service: ServiceShape): ConfigProblem[] {
  if (service.deployments === undefined) {
    return [
      {
        path: ['kind'],
        message: 'needs a kubernetes section in its service (context, namespace, deployments)',
      },
    ];
  }
  if (service.deployments.includes(deployment)) return [];
  return [
    {
      path: ['deployment'],
      message: `is not one of the service's kubernetes deployments (${service.deployments.join(', ') || 'none'})`,
    },
  ];
}

/**
 * What every k8s.* kind does alike: its target is the deployment (one run per deployment at a time), which
 * must be one the service lists.
 */
export const onDeployment = {
  target: (config: { deployment: string }) => config.deployment,
  check: (config: { deployment: string }, service: ServiceShape) =>
    deploymentProblems(config.deployment, service),
} satisfies Pick<ActionKind<{ kind: string; deployment: string }>, 'target' | 'check'>;

/** A container name as Kubernetes allows it (an RFC 1123 label). */
const ContainerName = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    'must be a container name (lowercase letters, digits and -)',
  );

/**
 * Fields of the kinds that run a command from a deployment (k8s.exec, k8s.job): the command as argv, the
 * container (by default the pod's first), and a summary that may be left out (DESIGN §11's entries have none).
 */
export const k8sCommandFields = {
  ...baseActionFields,
  summary: baseActionFields.summary.optional(),
  deployment: z.string().min(1),
  container: ContainerName.optional(),
  command: Argv,
  idempotent: z.boolean().default(false),
};

/** A command kind's config problems: its deployment must be listed, its argv template sound. */
export function commandProblems(
  config: { deployment: string; command: readonly string[]; params: ParamSpecs },
  service: ServiceShape,
): ConfigProblem[] {
  return [...deploymentProblems(config.deployment, service), ...argvProblems(config.command, config.params)];
}
