import type { OpsConfig } from '../../../src/config/ops-config.js';

/** A Role's rule, as README.md and the manifests write it. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

/** The action kinds that call the Kubernetes API beyond what every kubernetes section needs. */
export const KUBERNETES_KINDS = ['k8s.restart', 'k8s.rollback', 'k8s.scale', 'k8s.exec', 'k8s.job'] as const;

/**
 * The rules one namespace needs, in README.md's order, from the API calls opsbot makes (src/kubernetes,
 * src/actions/k8s-*): every kubernetes section reads its deployments, pods, events and logs (/ops pods, /ops
 * logs); k8s.restart and k8s.rollback patch deployments, and rollback lists their replicasets; k8s.scale patches
 * deployments/scale; k8s.exec opens pods/exec; k8s.job creates, reads and deletes Jobs.
 */
export function roleRules(deployments: string[], kinds: ReadonlySet<string>): PolicyRule[] {
  const patches = kinds.has('k8s.restart') || kinds.has('k8s.rollback');
  const rules: (PolicyRule | false)[] = [
    {
      apiGroups: ['apps'],
      resources: ['deployments'],
      resourceNames: deployments,
      verbs: patches ? ['get', 'patch'] : ['get'],
    },
    kinds.has('k8s.scale') && {
      apiGroups: ['apps'],
      resources: ['deployments/scale'],
      resourceNames: deployments,
      verbs: ['get', 'patch'],
    },
    kinds.has('k8s.rollback') && { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['list'] },
    { apiGroups: [''], resources: ['pods', 'events'], verbs: ['get', 'list'] },
    { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    kinds.has('k8s.exec') && { apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get'] },
    kinds.has('k8s.job') && { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'delete'] },
  ];
  return rules.filter((rule): rule is PolicyRule => rule !== false);
}

/** Per namespace of ops.yml's kubernetes sections: its deployments and the kinds of the actions on it. */
export function kubernetesNeeds(
  config: OpsConfig,
): Map<string, { deployments: string[]; kinds: Set<string> }> {
  const needs = new Map<string, { deployments: string[]; kinds: Set<string> }>();
  for (const service of Object.values(config.services)) {
    if (!service.kubernetes) continue;
    const need = needs.get(service.kubernetes.namespace) ?? { deployments: [], kinds: new Set<string>() };
    need.deployments.push(...service.kubernetes.deployments.filter((d) => !need.deployments.includes(d)));
    for (const action of Object.values(service.actions)) need.kinds.add(action.kind);
    needs.set(service.kubernetes.namespace, need);
  }
  return needs;
}
