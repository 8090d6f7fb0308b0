import { z } from 'zod';
import { Duration } from '../config/duration.js';
import type { ConfigProblem, ServiceShape } from '../config/problems.js';
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
