import type { V1Pod } from '@kubernetes/client-node';
import { UnavailableError, UserError } from '../errors.js';
import type { KubernetesTarget } from '../targets/kubernetes.js';
import { kubeCall } from './calls.js';
import { readDeployment } from './deployments.js';
import { selectorText } from './revisions.js';

/** The pod and container a command runs in, and the image that container runs. */
export interface ChosenPod {
  deployment: string;
  pod: string;
  container: string;
  image: string;
}

/**
 * A pod of `deployment` to run a command in: Running, not Terminating, its Ready condition True; the first
 * such pod by name, so that a plan and the run that follows it choose alike while nothing changes. The
 * container is `container`, or the pod's first. No such pod is one clear sentence, never a fallback.
 */
export async function readyPod(
  target: KubernetesTarget,
  deployment: string,
  container: string | undefined,
): Promise<ChosenPod> {
  const spec = await readDeployment(target, deployment);
  const list = await kubeCall(target, `pods of ${deployment}`, () =>
    target.core.listNamespacedPod({
      namespace: target.namespace,
      labelSelector: selectorText(spec.spec?.selector),
    }),
  );
  const ready = list.items
    .filter(isUsable)
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  const pod = ready[0];
  if (!pod) {
    throw new UnavailableError(
      `${deployment} has no running, ready pod in namespace ${target.namespace} to run the command in (${podCount(list.items.length)}, none ready).`,
    );
  }
  const name = pod.metadata?.name ?? '?';
  const containers = pod.spec?.containers ?? [];
  const chosen = container === undefined ? containers[0] : containers.find((c) => c.name === container);
  if (!chosen) {
    const names = containers.map((c) => c.name).join(', ') || 'none';
    throw new UserError(
      `Pod ${name} of ${deployment} has no container ${container ?? 'at all'} (it has ${names}); check the action's container in ops.yml.`,
    );
  }
  return { deployment, pod: name, container: chosen.name, image: chosen.image ?? '?' };
}

/** Running, not being deleted, and Ready as the API says it (every container ready). */
function isUsable(pod: V1Pod): boolean {
  return (
    pod.status?.phase === 'Running' &&
    !pod.metadata?.deletionTimestamp &&
    pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true
  );
}

function podCount(count: number): string {
  return count === 1 ? '1 pod' : `${count} pods`;
}
