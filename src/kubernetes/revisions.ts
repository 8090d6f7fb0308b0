import { z } from 'zod';
import { canonicalJson } from '../audit/canonical.js';
import { UnavailableError, UserError } from '../errors.js';
import type { KubernetesTarget } from '../targets/kubernetes.js';
import { type DeploymentJson, REVISION_ANNOTATION } from './deployments.js';
import { kubeCallJson, ObjectMetaJson, PodTemplateJson } from './raw-json.js';

const POD_TEMPLATE_HASH = 'pod-template-hash';

/** Deployment annotations `kubectl rollout undo` keeps from the deployment instead of the ReplicaSet. */
const KEPT_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

/** A ReplicaSet list as served: each template is kept whole, for the patch to carry it unchanged. */
const ReplicaSetListJson = z.looseObject({
  items: z.array(
    z.looseObject({
      metadata: ObjectMetaJson.optional(),
      spec: z.looseObject({ template: PodTemplateJson.optional() }).optional(),
    }),
  ),
});

type ReplicaSetJson = z.infer<typeof ReplicaSetListJson>['items'][number];

/** One JSON patch operation (RFC 6902) of the kinds a rollback sends. */
export type PatchOp = { op: 'test' | 'replace'; path: string; value: unknown };

/** A revision to go back to: its number, images, and the JSON patch that restores it. */
export interface PreviousRevision {
  revision: number;
  images: string[];
  /** The ReplicaSet's template already is the deployment's: rolling back would change nothing. */
  matchesCurrent: boolean;
  /**
   * Starts with a `test` of the resourceVersion read, so the API server applies none of it if the deployment
   * was written since (a deploy would make this "previous" revision the wrong one).
   */
  patch: PatchOp[];
}

/**
 * What `kubectl rollout undo` (to the previous revision) would apply: the second-highest revision among
 * the deployment's own ReplicaSets, its pod template without `pod-template-hash`, and its annotations.
 * Both the deployment and its ReplicaSets are the API server's JSON, not client-node's models, so template
 * fields newer than the client survive (as with kubectl).
 */
export async function previousRevision(
  target: KubernetesTarget,
  deployment: DeploymentJson,
): Promise<PreviousRevision> {
  const name = deployment.metadata?.name ?? '?';
  const resourceVersion = deployment.metadata?.resourceVersion;
  if (!resourceVersion) {
    throw new UnavailableError(
      `Kubernetes (context ${target.context}) served deployment ${name} without a resourceVersion, so a rollback could not be guarded against a concurrent deploy.`,
    );
  }
  const { json: list } = await kubeCallJson(
    target,
    `replica sets of ${name}`,
    ReplicaSetListJson,
    (options) =>
      target.apps.listNamespacedReplicaSet(
        { namespace: target.namespace, labelSelector: selectorText(deployment.spec?.selector) },
        options,
      ),
  );
  const owned = list.items
    .filter((rs) =>
      rs.metadata?.ownerReferences?.some(
        (ref) => ref.controller === true && ref.uid === deployment.metadata?.uid,
      ),
    )
    .map((rs) => ({ rs, revision: revisionOf(rs) }))
    .filter((entry) => entry.revision > 0);
  const revisions = [...new Set(owned.map((entry) => entry.revision))].sort((a, b) => b - a);
  const previous = revisions[1];
  const replicaSet = owned.find((entry) => entry.revision === previous)?.rs;
  if (previous === undefined || !replicaSet) {
    throw new UserError(`${name} has no previous revision to roll back to.`);
  }
  const template = withoutHash(replicaSet.spec?.template);
  const annotations: Record<string, string> = {};
  for (const [key, value] of Object.entries(deployment.metadata?.annotations ?? {})) {
    if (KEPT_ANNOTATIONS.has(key)) annotations[key] = value;
  }
  for (const [key, value] of Object.entries(replicaSet.metadata?.annotations ?? {})) {
    if (!KEPT_ANNOTATIONS.has(key)) annotations[key] = value;
  }
  return {
    revision: previous,
    images: (template.spec?.containers ?? []).map((c) => c.image ?? '?'),
    matchesCurrent: canonicalJson(template) === canonicalJson(withoutHash(deployment.spec?.template)),
    patch: [
      { op: 'test', path: '/metadata/resourceVersion', value: resourceVersion },
      { op: 'replace', path: '/spec/template', value: template },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ],
  };
}

function revisionOf(rs: ReplicaSetJson): number {
  const value = Number(rs.metadata?.annotations?.[REVISION_ANNOTATION]);
  return Number.isInteger(value) ? value : 0;
}

/** The template as the deployment would hold it: the ReplicaSet's own hash label removed. */
function withoutHash(template: PodTemplateJson | undefined): PodTemplateJson {
  const copy = structuredClone(template ?? {});
  if (copy.metadata?.labels) delete copy.metadata.labels[POD_TEMPLATE_HASH];
  return copy;
}

/** The label selector fields both client-node's model and the served JSON have. */
interface LabelSelector {
  matchLabels?: Record<string, string> | undefined;
  matchExpressions?: { key: string; operator: string; values?: string[] | undefined }[] | undefined;
}

/** A label selector in the API's query syntax: `app=api,tier in (web,edge),!legacy`. */
export function selectorText(selector: LabelSelector | undefined): string {
  const parts = Object.entries(selector?.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const { key, operator, values = [] } of selector?.matchExpressions ?? []) {
    if (operator === 'In') parts.push(`${key} in (${values.join(',')})`);
    else if (operator === 'NotIn') parts.push(`${key} notin (${values.join(',')})`);
    else if (operator === 'Exists') parts.push(key);
    else if (operator === 'DoesNotExist') parts.push(`!${key}`);
  }
  return parts.join(',');
}
