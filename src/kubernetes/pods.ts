import type { V1Pod } from '@kubernetes/client-node';
import type { ResultTable } from '../result-table.js';
import type { KubernetesTarget } from '../targets/kubernetes.js';
import { kubeCall } from './calls.js';
import { readDeployment } from './deployments.js';
import { selectorText } from './revisions.js';

/** Pod readiness of every deployment a service lists: one row per pod, in deployment order. */
export async function podsTable(
  target: KubernetesTarget,
  now = new Date(),
): Promise<{ table: ResultTable; ready: number; pods: number }> {
  const perDeployment = await Promise.all(
    target.deployments.map(async (name) => {
      const deployment = await readDeployment(target, name);
      const list = await kubeCall(target, `pods of ${name}`, () =>
        target.core.listNamespacedPod({
          namespace: target.namespace,
          labelSelector: selectorText(deployment.spec?.selector),
        }),
      );
      const pods = [...list.items].sort((a, b) =>
        (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
      );
      return { pods, rows: pods.length > 0 ? pods.map((pod) => podRow(name, pod, now)) : [noPods(name)] };
    }),
  );
  const pods = perDeployment.flatMap((entry) => entry.pods);
  const rows = perDeployment.flatMap((entry) => entry.rows);
  return {
    table: { columns: ['deployment', 'pod', 'ready', 'status', 'restarts', 'age'], rows, total: rows.length },
    ready: pods.filter(isReady).length,
    pods: pods.length,
  };
}

/** Ready as the API says it: the pod's Ready condition is True. */
function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

function noPods(deployment: string): string[] {
  return [deployment, '(no pods)', '-', '-', '-', '-'];
}

function podRow(deployment: string, pod: V1Pod, now: Date): string[] {
  const containers = pod.status?.containerStatuses ?? [];
  const waiting = containers.map((c) => c.state?.waiting?.reason).find((reason) => reason !== undefined);
  const status = pod.metadata?.deletionTimestamp
    ? 'Terminating'
    : (waiting ?? pod.status?.phase ?? 'Unknown');
  return [
    deployment,
    pod.metadata?.name ?? '?',
    `${containers.filter((c) => c.ready).length}/${containers.length}${isReady(pod) ? '' : ' (not ready)'}`,
    status,
    String(containers.reduce((sum, c) => sum + c.restartCount, 0)),
    age(pod.status?.startTime ?? pod.metadata?.creationTimestamp, now),
  ];
}

/** `45s`, `12m`, `3h`, `2d`, as kubectl shows ages. */
function age(since: Date | undefined, now: Date): string {
  if (!since) return '-';
  const seconds = Math.max(0, Math.floor((now.getTime() - new Date(since).getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}
