import type { CoreV1Event, V1ContainerState, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { ResultTable } from '../result-table.js';
import type { KubernetesTarget } from '../targets/kubernetes.js';
import { kubeCall } from './calls.js';
import { readDeployment } from './deployments.js';
import { selectorText } from './revisions.js';

/** Events shown at most, the newest. */
const MAX_EVENTS = 20;
/** Characters of an event's message shown. */
const EVENT_MESSAGE_CHARS = 240;

/** One event about a pod, as `kubectl describe pod` lists them. */
export interface PodEvent {
  at: Date | undefined;
  type: string;
  reason: string;
  count: number;
  message: string;
}

/** What `kubectl describe pod` is used for in the runbooks: where the pod stands, its containers, its events. */
export interface PodDetail {
  pod: string;
  deployment: string;
  phase: string;
  node: string | undefined;
  /** One row per container (init containers first): readiness, state, restarts, last state. */
  containers: ResultTable;
  /** The newest events about the pod, oldest first. */
  events: PodEvent[];
}

/**
 * The pod's detail, when it is a pod of one of the target's deployments (by their selectors); undefined for
 * any other pod, which opsbot does not describe. Messages (an exec probe's failure quotes its output) are
 * redacted with `redact` before they are cut.
 */
export async function podDetail(
  target: KubernetesTarget,
  name: string,
  redact: (text: string) => string,
): Promise<PodDetail | undefined> {
  const found = await ownPod(target, name);
  if (!found) return undefined;
  const { pod, deployment } = found;
  const list = await kubeCall(target, `events of pod ${name}`, () =>
    target.core.listNamespacedEvent({
      namespace: target.namespace,
      fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${name}`,
    }),
  );
  const events = list.items
    .map((event) => podEvent(event, redact))
    .sort((a, b) => (a.at?.getTime() ?? 0) - (b.at?.getTime() ?? 0))
    .slice(-MAX_EVENTS);
  return {
    pod: name,
    deployment,
    phase: pod.metadata?.deletionTimestamp ? 'Terminating' : (pod.status?.phase ?? 'Unknown'),
    node: pod.spec?.nodeName,
    containers: containerTable(pod, redact),
    events,
  };
}

/** The pod named, found among the pods each deployment selects. */
async function ownPod(
  target: KubernetesTarget,
  name: string,
): Promise<{ pod: V1Pod; deployment: string } | undefined> {
  const perDeployment = await Promise.all(
    target.deployments.map(async (deployment) => {
      const found = await readDeployment(target, deployment);
      const list = await kubeCall(target, `pods of ${deployment}`, () =>
        target.core.listNamespacedPod({
          namespace: target.namespace,
          labelSelector: selectorText(found.spec?.selector),
        }),
      );
      const pod = list.items.find((item) => item.metadata?.name === name);
      return pod && { pod, deployment };
    }),
  );
  return perDeployment.find((entry) => entry !== undefined);
}

function containerTable(pod: V1Pod, redact: (text: string) => string): ResultTable {
  const rows = [
    ...(pod.status?.initContainerStatuses ?? []).map((status) => containerRow(status, 'init: ', redact)),
    ...(pod.status?.containerStatuses ?? []).map((status) => containerRow(status, '', redact)),
  ];
  return {
    columns: ['container', 'ready', 'state', 'restarts', 'last state', 'image'],
    rows,
    total: rows.length,
  };
}

function containerRow(status: V1ContainerStatus, prefix: string, redact: (text: string) => string): string[] {
  return [
    `${prefix}${status.name}`,
    status.ready ? 'yes' : 'no',
    redact(stateText(status.state)),
    String(status.restartCount),
    redact(stateText(status.lastState)),
    status.image,
  ];
}

/**
 * `running since …`, `waiting: CrashLoopBackOff (…)`, `terminated: OOMKilled, exit code 137 at …`. A
 * terminated container's message is left out: it may be the container's own last log lines.
 */
function stateText(state: V1ContainerState | undefined): string {
  if (state?.running) return `running since ${utc(state.running.startedAt)}`;
  if (state?.waiting) {
    const { reason = 'waiting', message } = state.waiting;
    return `waiting: ${reason}${message ? ` (${message})` : ''}`;
  }
  if (state?.terminated) {
    const { reason = 'terminated', exitCode, finishedAt } = state.terminated;
    return `terminated: ${reason}, exit code ${exitCode}${finishedAt ? ` at ${utc(finishedAt)}` : ''}`;
  }
  return '-';
}

function podEvent(event: CoreV1Event, redact: (text: string) => string): PodEvent {
  const at =
    event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata.creationTimestamp;
  const message = redact(event.message ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  return {
    at: at ? new Date(at) : undefined,
    type: event.type ?? '-',
    reason: event.reason ?? '-',
    count: event.count ?? event.series?.count ?? 1,
    message: message.length > EVENT_MESSAGE_CHARS ? `${message.slice(0, EVENT_MESSAGE_CHARS - 1)}…` : message,
  };
}

/** `2026-01-02 03:04:05Z`. */
export function utc(at: Date | undefined): string {
  return at
    ? new Date(at)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')
    : '-';
}
