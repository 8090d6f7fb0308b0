import { ApiException, type V1Job } from '@kubernetes/client-node';
import { z } from 'zod';
import { NotFoundError, UnavailableError } from '../errors.js';
import type { KubernetesTarget } from '../targets/kubernetes.js';
import { kubeCall } from './calls.js';
import type { DeploymentJson } from './deployments.js';
import { sendingJson } from './request-options.js';

/** The label naming the opsbot run a Job was created for: a redelivered run finds its own Job by it. */
export const RUN_ID_LABEL = 'opsbot/run-id';
const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'opsbot' };
/** How long a finished Job (and its pod and logs) stays for `kubectl` before Kubernetes removes it. */
export const JOB_TTL_SECONDS = 3600;

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

export async function readJob(target: KubernetesTarget, name: string): Promise<V1Job> {
  return kubeCall(target, `job ${name}`, () =>
    target.batch.readNamespacedJob({ name, namespace: target.namespace }),
  );
}
