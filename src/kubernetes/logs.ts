import type { V1Pod } from '@kubernetes/client-node';
import type { LogLine, LogWindow } from '../logs/log-lines.js';
import type { KubernetesTarget } from '../targets/kubernetes.js';
import { kubeCall } from './calls.js';
import { readDeployment } from './deployments.js';
import { withQuery } from './request-options.js';
import { selectorText } from './revisions.js';

/** What one container's log read may return at most: a bound on memory, whatever the window asks. */
const CONTAINER_LOG_BYTES = 1024 * 1024;
/** Log reads in flight at once for one deployment. */
const PARALLEL_READS = 6;
/** What one poll of a followed log reads at most; more is read by the next poll at once. */
const FOLLOW_POLL_BYTES = 4 * 1024 * 1024;

/** `2026-01-02T03:04:05.123456789Z text`: the RFC3339 timestamp `timestamps=true` puts before each line. */
const STAMPED = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) ?(.*)$/s;

/** A log line as read with timestamps: its text, when it was written, and a key that orders lines exactly. */
interface StampedLine {
  at: Date | undefined;
  /** Nanoseconds since the epoch; lines without a timestamp sort first. */
  key: bigint;
  text: string;
}

/**
 * The last lines of every container of every pod of a deployment (by its selector, as `kubectl logs
 * deployment/…` but all pods): pods by name, containers in their pod's order, each line's timestamp parsed.
 */
export async function deploymentLogs(
  target: KubernetesTarget,
  deployment: string,
  window: LogWindow,
): Promise<LogLine[]> {
  const found = await readDeployment(target, deployment);
  const list = await kubeCall(target, `pods of ${deployment}`, () =>
    target.core.listNamespacedPod({
      namespace: target.namespace,
      labelSelector: selectorText(found.spec?.selector),
    }),
  );
  const sources = [...list.items]
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
    .flatMap((pod) =>
      startedContainers(pod).map((container) => ({ pod: pod.metadata?.name ?? '?', container })),
    );
  const perSource = await inBatches(sources, PARALLEL_READS, async ({ pod, container }) => {
    const read = (tailLines: number) =>
      kubeCall(target, `logs of pod ${pod} (container ${container})`, () =>
        target.core.readNamespacedPodLog({
          name: pod,
          namespace: target.namespace,
          container,
          timestamps: true,
          sinceSeconds: window.sinceSeconds,
          tailLines,
          limitBytes: CONTAINER_LOG_BYTES,
        }),
      );
    const source = `${pod}/${container}`;
    return stampedLines(await newestThatFit(read, window.tail)).map(({ at, text: line }) => ({
      at,
      source,
      text: line,
    }));
  });
  return perSource.flat();
}

/**
 * The last `tail` lines, or as many of the newest as fit in CONTAINER_LOG_BYTES. `limitBytes` cuts a read
 * from its start, which would drop the newest lines (the ones `/ops logs` is for), so a read that reached
 * the limit is asked again for half as many lines, until what comes back fits whole.
 */
async function newestThatFit(read: (tailLines: number) => Promise<string>, tail: number): Promise<string> {
  let lines = tail;
  for (;;) {
    const text = await read(lines);
    if (Buffer.byteLength(text) < CONTAINER_LOG_BYTES || lines <= 1) return text;
    lines = Math.floor(lines / 2);
  }
}

/**
 * A container's log read as it grows, by polling: each next() returns the lines written since the last
 * one, each exactly once. Polls ask from the second of the last line seen (`sinceTime` has whole seconds)
 * and skip what was already returned by its timestamp, so lines written in that second are not lost. (A
 * container writing more than one poll's 4 MiB within a single second is read only up to there.)
 */
export class LogFollower {
  /** The newest timestamp returned, and how many lines with exactly that timestamp were returned. */
  private last: { key: bigint; at: Date; count: number } | undefined;

  constructor(
    private readonly target: KubernetesTarget,
    private readonly pod: string,
    private readonly container: string,
  ) {}

  /** The lines written since the last call, oldest first (text only, as the container wrote them). */
  async next(): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const text = await this.read();
      const cut = Buffer.byteLength(text) >= FOLLOW_POLL_BYTES;
      // A read cut at its byte limit may end mid-line: that line is read whole by the next poll.
      const stamped = stampedLines(cut ? text.slice(0, text.lastIndexOf('\n') + 1) : text);
      const fresh = this.unseen(stamped);
      lines.push(...fresh.map((line) => line.text));
      if (!cut || fresh.length === 0) return lines;
    }
  }

  private read(): Promise<string> {
    const { target, pod, container } = this;
    const since = this.last ? wholeSecond(this.last.at) : undefined;
    return kubeCall(target, `logs of pod ${pod} (container ${container})`, () =>
      target.core.readNamespacedPodLog(
        {
          name: pod,
          namespace: target.namespace,
          container,
          timestamps: true,
          limitBytes: FOLLOW_POLL_BYTES,
        },
        since ? withQuery('sinceTime', since) : undefined,
      ),
    );
  }

  /** The lines after the last one returned; remembers the newest. */
  private unseen(lines: StampedLine[]): StampedLine[] {
    const last = this.last;
    let repeats = 0;
    const fresh = lines.filter((line) => {
      if (!last || line.key > last.key) return true;
      return line.key === last.key && ++repeats > last.count;
    });
    for (const line of fresh) {
      if (!line.at) continue;
      if (this.last?.key === line.key) this.last.count += 1;
      else this.last = { key: line.key, at: line.at, count: 1 };
    }
    return fresh;
  }
}

/** The containers of a pod that have started (a container waiting to start has no log yet). */
function startedContainers(pod: V1Pod): string[] {
  const statuses = new Map((pod.status?.containerStatuses ?? []).map((status) => [status.name, status]));
  return (pod.spec?.containers ?? [])
    .map((container) => container.name)
    .filter((name) => {
      const status = statuses.get(name);
      return (
        status !== undefined &&
        (status.state?.waiting === undefined || status.lastState?.terminated !== undefined)
      );
    });
}

/** The lines of a log read with `timestamps=true`, each timestamp taken off into `at`. */
function stampedLines(text: string): StampedLine[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line) => {
    const match = STAMPED.exec(line);
    if (!match) return { at: undefined, key: -1n, text: line };
    const [, seconds, fraction = '', zone, rest = ''] = match as unknown as [
      string,
      string,
      string | undefined,
      string,
      string,
    ];
    const epochMs = Date.parse(`${seconds}${zone}`);
    if (Number.isNaN(epochMs)) return { at: undefined, key: -1n, text: line };
    const nanos = BigInt(fraction.padEnd(9, '0'));
    return {
      at: new Date(epochMs + Number(nanos / 1_000_000n)),
      key: BigInt(epochMs) * 1_000_000n + nanos,
      text: rest,
    };
  });
}

/** `2026-01-02T03:04:05Z`: the second `at` falls in, as `sinceTime` takes it. */
function wholeSecond(at: Date): string {
  return at.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** `work` over `items`, at most `size` at a time, results in the items' order. */
async function inBatches<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) {
    results.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  }
  return results;
}
