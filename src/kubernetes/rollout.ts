import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Deployment } from '@kubernetes/client-node';
import { formatDuration } from '../config/duration.js';
import type { KubernetesTarget } from '../targets/kubernetes.js';
import { deploymentFacts, readDeployment } from './deployments.js';

/** Where a rollout stands, as `kubectl rollout status` reads it. */
export type RolloutState =
  | { done: true; message: string }
  | { done: false; failed: boolean; message: string };

/** kubectl's rollout status rules: observed, every replica updated, no old ones left, all available. */
export function rolloutState(deployment: V1Deployment): RolloutState {
  const name = deployment.metadata?.name ?? '?';
  const status = deployment.status ?? {};
  if ((deployment.metadata?.generation ?? 0) > (status.observedGeneration ?? 0)) {
    return { done: false, failed: false, message: 'waiting for the deployment controller to see the change' };
  }
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {
      done: false,
      failed: true,
      message: `${name} exceeded its progress deadline${progressing.message ? ` (${progressing.message})` : ''}`,
    };
  }
  const wanted = deployment.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const replicas = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < wanted) {
    return { done: false, failed: false, message: `${updated} of ${wanted} new replicas updated` };
  }
  if (replicas > updated) {
    return { done: false, failed: false, message: `${replicas - updated} old replicas pending termination` };
  }
  if (available < updated) {
    return { done: false, failed: false, message: `${available} of ${updated} updated replicas available` };
  }
  return {
    done: true,
    message: `${name} rolled out: ${updated} of ${wanted} replicas updated and available`,
  };
}

export interface FollowOptions {
  deadlineMs: number;
  progress(message: string): void;
}

/**
 * Polls the deployment until its rollout completes (returns the final line) or fails or the deadline
 * passes (throws one sentence saying where it stopped).
 */
export async function followRollout(
  target: KubernetesTarget,
  name: string,
  { deadlineMs, progress }: FollowOptions,
): Promise<string> {
  const deadline = Date.now() + deadlineMs;
  const every = Math.min(1_000, Math.max(100, Math.floor(deadlineMs / 10)));
  for (;;) {
    const deployment = await readDeployment(target, name);
    const state = rolloutState(deployment);
    if (state.done) return state.message;
    if (state.failed) throw new Error(`The rollout failed: ${state.message}.`);
    const facts = deploymentFacts(deployment);
    progress(
      `Rollout of ${name}: ${state.message} (${facts.updated} updated, ${facts.ready} ready, ${facts.available} available of ${facts.replicas}).`,
    );
    if (Date.now() >= deadline) {
      throw new Error(
        `The rollout of ${name} did not complete within ${formatDuration(deadlineMs)}: ${state.message}; ` +
          `check kubectl rollout status deployment/${name} -n ${target.namespace}.`,
      );
    }
    await sleep(Math.min(every, Math.max(0, deadline - Date.now())));
  }
}
