import type { DockerTarget } from '../targets/docker.js';
import type { KubernetesTarget } from '../targets/kubernetes.js';

/** One line of a container's log, as read: when it was written (when the source says), where, and the text. */
export interface LogLine {
  at: Date | undefined;
  /** `api-gateway-7d9f-x2/api-gateway` (pod/container) or `ai-benchmark-web-1` (compose container). */
  source: string;
  text: string;
}

/** Which lines to read: those of the last `sinceSeconds`, at most the last `tail` of each container. */
export interface LogWindow {
  sinceSeconds: number;
  tail: number;
}

/** Reads the logs of every container of a deployment or compose service, in each source's order. */
export interface LogReaders {
  kubernetes(target: KubernetesTarget, deployment: string, window: LogWindow): Promise<LogLine[]>;
  compose(target: DockerTarget, service: string, window: LogWindow): Promise<LogLine[]>;
}
