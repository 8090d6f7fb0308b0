import type { V1Deployment } from '@kubernetes/client-node';
import { z } from 'zod';
import { UserError } from '../errors.js';
import type { ResultTable } from '../result-table.js';
import type { KubernetesTarget } from '../targets/kubernetes.js';
import { kubeCall } from './calls.js';
import { kubeCallJson, LabelSelectorJson, ObjectMetaJson, PodTemplateJson } from './raw-json.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

/** What the plan and the run card show about a deployment. */
export interface DeploymentFacts {
  name: string;
  revision: string;
  images: string[];
  replicas: number;
  ready: number;
  updated: number;
  available: number;
  paused: boolean;
}

/** The parts of a deployment a rollback reads, as served; every other field is kept. */
export const DeploymentJson = z.looseObject({
  metadata: ObjectMetaJson.optional(),
  spec: z
    .looseObject({ selector: LabelSelectorJson.optional(), template: PodTemplateJson.optional() })
    .optional(),
});

export type DeploymentJson = z.infer<typeof DeploymentJson>;

/** Reads a deployment the service's config lists; any other name is refused before calling the API. */
export async function readDeployment(target: KubernetesTarget, name: string): Promise<V1Deployment> {
  refuseUnlisted(target, name);
  return kubeCall(target, `deployment ${name}`, () =>
    target.apps.readNamespacedDeployment({ name, namespace: target.namespace }),
  );
}

/** readDeployment, also returning the deployment as the API server sent it (for comparing templates). */
export async function readDeploymentJson(
  target: KubernetesTarget,
  name: string,
): Promise<{ deployment: V1Deployment; json: DeploymentJson }> {
  refuseUnlisted(target, name);
  const { model, json } = await kubeCallJson(target, `deployment ${name}`, DeploymentJson, (options) =>
    target.apps.readNamespacedDeployment({ name, namespace: target.namespace }, options),
  );
  return { deployment: model, json };
}

function refuseUnlisted(target: KubernetesTarget, name: string): void {
  if (!target.deployments.includes(name)) {
    throw new UserError(
      `${name} is not one of the deployments opsbot may touch here (${target.deployments.join(', ') || 'none'}).`,
    );
  }
}

export function deploymentFacts(deployment: V1Deployment): DeploymentFacts {
  const status = deployment.status;
  return {
    name: deployment.metadata?.name ?? '?',
    revision: deployment.metadata?.annotations?.[REVISION_ANNOTATION] ?? '?',
    images: (deployment.spec?.template.spec?.containers ?? []).map((c) => c.image ?? '?'),
    replicas: deployment.spec?.replicas ?? 1,
    ready: status?.readyReplicas ?? 0,
    updated: status?.updatedReplicas ?? 0,
    available: status?.availableReplicas ?? 0,
    paused: deployment.spec?.paused === true,
  };
}

/** Restart and rollback act through a rollout, which a paused deployment does not start. */
export function refusePaused(facts: DeploymentFacts, verb: string): void {
  if (facts.paused) {
    throw new UserError(
      `${facts.name} is paused, so it cannot be ${verb}; resume it first (kubectl rollout resume deployment/${facts.name}).`,
    );
  }
}

/** One row per deployment state, with what the action will change in the last column. */
export function deploymentTable(
  target: KubernetesTarget,
  facts: DeploymentFacts,
  change: string,
): ResultTable {
  return {
    columns: ['deployment', 'namespace', 'revision', 'images', 'replicas', 'ready', 'change'],
    rows: [
      [
        facts.name,
        target.namespace,
        facts.revision,
        facts.images.join(', '),
        String(facts.replicas),
        `${facts.ready}/${facts.replicas}`,
        change,
      ],
    ],
    total: 1,
  };
}
