import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiException,
  type ConfigurationOptions,
  Observable,
  type ObservableMiddleware,
  type V1Job,
  type V1Pod,
} from '@kubernetes/client-node';
import { z } from 'zod';
import { NotFoundError, UnavailableError } from '../errors.js';
import type { KubernetesTarget } from '../targets/kubernetes.js';
import { kubeCall } from './calls.js';
import type { DeploymentJson } from './deployments.js';
import { LogFollower } from './logs.js';

/** The label naming the opsbot run a Job was created for: a redelivered run finds its own Job by it. */
export const RUN_ID_LABEL = 'opsbot/run-id';
const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'opsbot' };
/** How long a finished Job (and its pod and logs) stays for `kubectl` before Kubernetes removes it. */
export const JOB_TTL_SECONDS = 3600;
/** Consecutive failed polls after which opsbot stops following a Job (it runs on to its deadline). */
const FAILED_POLLS = 5;

const StringMap = z.record(z.string(), z.string());

/** The parts of a pod template a Job is made from, as served; every other field is copied as it is. */
const TemplateJson = z.looseObject({
  metadata: z.looseObject({ labels: StringMap.optional() }).optional(),
  spec: z.looseObject({
    containers: z.array(z.looseObject({ name: z.string(), image: z.string().optional() })).min(1),
  }),
});

/** The container a Job runs its command in, from the deployment's template. */
export interface JobContainer {
  name: string;
  image: string;
}

/** What a Job is made from: the deployment's template as served, and which container runs the command. */
export interface JobSource {
  deployment: string;
  template: z.infer<typeof TemplateJson>;
  /** The labels the deployment selects its pods by: the Job's pod must not carry them. */
  selectorKeys: string[];
}

/** The Job's name for a run: `<deployment>-<run id>`, a DNS label of at most 63 characters. */
export function jobName(deployment: string, runId: string): string {
  const run = runId
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(-20)
    .replace(/^-+/, '');
  return `${deployment.slice(0, 62 - run.length).replace(/-+$/, '')}-${run}`;
}

/** The deployment's pod template and selector, as the API server served them. */
export function jobSource(json: DeploymentJson, deployment: string, context: string): JobSource {
  const template = TemplateJson.safeParse(json.spec?.template);
  if (!template.success) {
    throw new UnavailableError(
      `Kubernetes (context ${context}) served deployment ${deployment} without a pod template opsbot can copy (it has no containers).`,
    );
  }
  return {
    deployment,
    template: template.data,
    selectorKeys: Object.keys(json.spec?.selector?.matchLabels ?? {}),
  };
}

/** The container named (or the template's first), with its image. */
export function jobContainer(source: JobSource, name: string | undefined): JobContainer | undefined {
  const containers = source.template.spec.containers;
  const chosen = name === undefined ? containers[0] : containers.find((c) => c.name === name);
  return chosen && { name: chosen.name, image: chosen.image ?? '?' };
}

/** What the Job is, besides its template. */
export interface JobSpec {
  name: string;
  runId: string;
  service: string;
  container: string;
  argv: string[];
  deadlineSeconds: number;
}

/**
 * A one-off Job from the deployment's pod template: the same image, env, volumes and service account, the
 * chosen container alone running `argv` (no args, no probes: a probe against a server that is not running
 * would kill it), never restarted, killed at its deadline, removed an hour after it ends. Its pod keeps the
 * template's labels except those the deployment selects by, so no Service sends it traffic and the
 * deployment does not count it.
 */
export function jobBody(source: JobSource, spec: JobSpec): Record<string, unknown> {
  const { metadata = {}, spec: podSpec } = source.template;
  const labels = Object.fromEntries(
    Object.entries(metadata.labels ?? {}).filter(
      ([key]) => !source.selectorKeys.includes(key) && key !== 'pod-template-hash',
    ),
  );
  const own = { ...MANAGED_BY, [RUN_ID_LABEL]: spec.runId };
  const template = podSpec.containers.find((c) => c.name === spec.container);
  const {
    args: _args,
    livenessProbe: _liveness,
    readinessProbe: _readiness,
    startupProbe: _startup,
    ...container
  } = template ?? { name: spec.container };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: spec.name,
      labels: { ...own, 'opsbot/deployment': source.deployment },
      annotations: { 'opsbot/service': spec.service },
    },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: spec.deadlineSeconds,
      ttlSecondsAfterFinished: JOB_TTL_SECONDS,
      template: {
        ...source.template,
        metadata: { ...metadata, labels: { ...labels, ...own } },
        spec: { ...podSpec, restartPolicy: 'Never', containers: [{ ...container, command: spec.argv }] },
      },
    },
  };
}

/**
 * Creates the Job; when a Job of that name is already there (an earlier attempt of the same run), says so,
 * with the run id its label names.
 */
export async function createJob(
  target: KubernetesTarget,
  body: Record<string, unknown>,
  name: string,
): Promise<{ created: true } | { created: false; runId: string | undefined }> {
  const created = await kubeCall(target, `job ${name}`, async () => {
    try {
      await target.batch.createNamespacedJob(
        { namespace: target.namespace, body: { metadata: { name } } },
        sendingJson(body),
      );
      return true;
    } catch (error) {
      if (error instanceof ApiException && error.code === 409) return false;
      throw error;
    }
  });
  if (created) return { created };
  const existing = await readJob(target, name);
  return { created, runId: existing.metadata?.labels?.[RUN_ID_LABEL] };
}

/** Deletes the Job and, in the background, its pod (which kills the command). */
export async function deleteJob(target: KubernetesTarget, name: string): Promise<void> {
  try {
    await kubeCall(target, `job ${name}`, () =>
      target.batch.deleteNamespacedJob({
        name,
        namespace: target.namespace,
        propagationPolicy: 'Background',
      }),
    );
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
}

/** How a followed Job ended, or that opsbot stopped waiting for it. */
export type JobEnd =
  | { ended: 'complete'; pod: string | undefined }
  | {
      ended: 'failed';
      /** Kubernetes' reason: `BackoffLimitExceeded` (the command failed), `DeadlineExceeded`, ... */
      reason: string;
      message: string | undefined;
      pod: string | undefined;
      exitCode: number | undefined;
      /** Where it stood when it ended, had its container never started: `pod … ImagePullBackOff`. */
      neverStarted?: string;
    }
  | { ended: 'timed-out'; pod: string | undefined; neverStarted?: string };

/** What following a Job reports to: its output lines as they come, and a progress line. */
export interface FollowJob {
  name: string;
  container: string;
  /** When opsbot stops waiting (epoch ms). */
  deadlineAt: number;
  lines(lines: string[]): void;
  progress(message: string): void;
}

/**
 * Polls the Job until it completes or fails or `deadlineAt` passes, reading its pod's log as it grows
 * (each line once; the log is read once more after the Job has ended, for its last lines).
 */
export async function followJob(target: KubernetesTarget, follow: FollowJob): Promise<JobEnd> {
  let follower: { pod: string; log: LogFollower } | undefined;
  /** Where the Job stood at the last poll, while its container had not started. */
  let waiting = 'waiting for its pod';
  let failures = 0;
  for (let poll = 0; ; poll++) {
    let end: JobEnd | undefined;
    try {
      const job = await readJob(target, follow.name);
      const pod = await jobPod(target, follow.name);
      const podName = pod?.metadata?.name;
      if (podName && follower?.pod !== podName && started(pod, follow.container)) {
        follower = { pod: podName, log: new LogFollower(target, podName, follow.container) };
      }
      const finished = jobEnd(job, pod, follow.container);
      if (follower) follow.lines(await newLines(follower.log, finished !== undefined));
      // A pod deleted at the deadline no longer says why it had not started: an earlier poll does.
      if (pod) waiting = podState(pod, follow.container);
      end = finished ?? (Date.now() >= follow.deadlineAt ? { ended: 'timed-out', pod: podName } : undefined);
      if (end && !follower && end.ended !== 'complete') end = { ...end, neverStarted: waiting };
      if (!end) follow.progress(`Job ${follow.name}: ${podState(pod, follow.container)}.`);
      failures = 0;
    } catch (error) {
      if (++failures >= FAILED_POLLS) {
        const reason = error instanceof Error ? error.message.replace(/\.$/, '') : String(error);
        throw new UnavailableError(
          `opsbot lost track of Job ${follow.name} (${reason}); it runs on until its deadline (kubectl get job ${follow.name} -n ${target.namespace}).`,
        );
      }
    }
    if (end) return end;
    await sleep(Math.min(2_000, Math.round(200 * 1.5 ** poll)));
  }
}

async function readJob(target: KubernetesTarget, name: string): Promise<V1Job> {
  return kubeCall(target, `job ${name}`, () =>
    target.batch.readNamespacedJob({ name, namespace: target.namespace }),
  );
}

/** The Job's newest pod, found by the `job-name` label the Job controller puts on it. */
async function jobPod(target: KubernetesTarget, name: string): Promise<V1Pod | undefined> {
  const list = await kubeCall(target, `pods of job ${name}`, () =>
    target.core.listNamespacedPod({ namespace: target.namespace, labelSelector: `job-name=${name}` }),
  );
  return [...list.items].sort(
    (a, b) =>
      new Date(b.metadata?.creationTimestamp ?? 0).getTime() -
      new Date(a.metadata?.creationTimestamp ?? 0).getTime(),
  )[0];
}

/** The lines since the last read; once the Job has ended its pod may be gone, which leaves nothing to read. */
async function newLines(log: LogFollower, ended: boolean): Promise<string[]> {
  try {
    return await log.next();
  } catch (error) {
    if (ended || error instanceof NotFoundError) return [];
    throw error;
  }
}

/** Whether the container has started, so that it has a log to read. */
function started(pod: V1Pod | undefined, container: string): pod is V1Pod {
  const state = pod?.status?.containerStatuses?.find((c) => c.name === container)?.state;
  return state?.running !== undefined || state?.terminated !== undefined;
}

/** How the Job ended, by its Complete or Failed condition; undefined while it runs. */
function jobEnd(job: V1Job, pod: V1Pod | undefined, container: string): JobEnd | undefined {
  const condition = (type: string) =>
    job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
  const podName = pod?.metadata?.name;
  if (condition('Complete')) return { ended: 'complete', pod: podName };
  const failed = condition('Failed');
  if (!failed) return undefined;
  const terminated = pod?.status?.containerStatuses?.find((c) => c.name === container)?.state?.terminated;
  return {
    ended: 'failed',
    reason: failed.reason ?? 'Failed',
    message: failed.message,
    pod: podName,
    exitCode: terminated?.exitCode,
  };
}

/** `pod executor-job-x running`, `waiting for its pod`, `pod … ContainerCreating`. */
function podState(pod: V1Pod | undefined, container: string): string {
  if (!pod) return 'waiting for its pod';
  const state = pod.status?.containerStatuses?.find((c) => c.name === container)?.state;
  const what = state?.waiting?.reason ?? (state?.running ? 'running' : (pod.status?.phase ?? 'Pending'));
  return `pod ${pod.metadata?.name} ${what}`;
}

/**
 * Per-call options that send `body` as the request's JSON instead of the typed model's: the client's
 * models drop fields they do not know, and the pod template must reach the Job as the API server served it.
 */
function sendingJson(body: unknown): ConfigurationOptions<ObservableMiddleware> {
  const middleware: ObservableMiddleware = {
    pre: (request) => {
      request.setBody(JSON.stringify(body));
      return new Observable(Promise.resolve(request));
    },
    post: (response) => new Observable(Promise.resolve(response)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}
