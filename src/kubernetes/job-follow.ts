import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { NotFoundError, UnavailableError } from '../errors.js';
import type { KubernetesTarget } from '../targets/kubernetes.js';
import { kubeCall } from './calls.js';
import { readJob } from './job.js';
import { LogFollower } from './logs.js';

/** Consecutive failed polls after which opsbot stops following a Job (it runs on to its deadline). */
const FAILED_POLLS = 5;

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
