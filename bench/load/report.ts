import os from 'node:os';
import { fixed, percentile } from '../stats.js';
import { options } from './options.js';
import { type PipelineResult, TARGET_POOL } from './pipeline.js';
import type { postRates, Samples } from './samples.js';
import type { Kind } from './traffic.js';

/** Connections per opsbot process (src/core.ts). */
const OWN_POOL = 10;

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

export interface LoadResult {
  size: string;
  processes: number;
  sent: number;
  perKind: Map<Kind, { ok: number; failed: number; acks: number[] }>;
  startP50: number;
  startP99: number;
  runs: number;
  runsPerSecond: number;
  posts: ReturnType<typeof postRates>;
  samples: Samples;
  redisBefore: number;
  redisPrefix: { bytes: number; keys: number };
  drained: { ms: number; done: boolean };
  backlogAtEnd: number;
  /** The whole machine's busy share during the load (all cores). */
  loadBusy: number;
  pipeline: PipelineResult;
}

export function report(results: LoadResult[], loadStart: number[], loadEnd: number[]): void {
  const cpus = os.cpus();
  console.log('## Machine\n');
  console.log(
    `- date: ${new Date().toISOString()}; node ${process.version}; ${os.platform()} ${os.release()}`,
  );
  console.log(`- ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), shared with other processes`);
  console.log(`- load average at start: ${loadStart.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`- load average at end: ${loadEnd.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(
    `- ${options.rate} /ops requests/s for ${options.durationMs / 1000} s (25% help, 10% status, 30% lookups, 35% low-risk actions) + ${options.webhooks} PagerDuty webhooks/s; pipeline: ${options.pipeline} no-op jobs each way`,
  );
  const col = (pick: (r: LoadResult) => string) => results.map(pick).join(' | ');
  const rows: [string, (r: LoadResult) => string][] = [
    ['requests + webhooks sent', (r) => String(r.sent)],
    [
      'acks failed or late (>10 s)',
      (r) => String([...r.perKind.values()].reduce((sum, e) => sum + e.failed, 0)),
    ],
  ];
  for (const kind of ['help', 'status', 'show', 'bump', 'webhook'] as Kind[]) {
    rows.push([
      `ack p50 / p99 (ms): ${kind}`,
      (r) => {
        const acks = r.perKind.get(kind)?.acks ?? [];
        return `${fixed(percentile(acks, 50), 1)} / ${fixed(percentile(acks, 99), 1)}`;
      },
    ]);
  }
  rows.push(
    [
      'ack p50 / p99 (ms): all',
      (r) => {
        const all = [...r.perKind.values()].flatMap((e) => e.acks).sort((a, b) => a - b);
        return `${fixed(percentile(all, 50), 1)} / ${fixed(percentile(all, 99), 1)}`;
      },
    ],
    ['request → execution start p50 / p99 (ms)', (r) => `${fixed(r.startP50, 1)} / ${fixed(r.startP99, 1)}`],
    ['runs started per second (during the load)', (r) => `${fixed(r.runsPerSecond, 1)} (${r.runs} runs)`],
    ['whole machine busy during the load (all cores)', (r) => `${fixed(100 * r.loadBusy)}%`],
    [
      'Slack posts: max per channel in any 1 s / shortest gap (ms) / total',
      (r) => `${r.posts.maxPerSecond} / ${fixed(r.posts.minGapMs)} / ${r.posts.posts}`,
    ],
    ['outbox backlog at the end of the load', (r) => String(r.backlogAtEnd)],
    [
      'runs and outbox drained after (s)',
      (r) => `${fixed(r.drained.ms / 1000, 1)}${r.drained.done ? '' : ' (not drained)'}`,
    ],
    [
      'PostgreSQL connections, opsbot DB (peak / pool sizes)',
      (r) => `${r.samples.ownConnections} / ${OWN_POOL * r.processes}`,
    ],
    [
      'PostgreSQL connections, Bentham DB (peak / pool sizes)',
      (r) => `${r.samples.targetConnections} / ${TARGET_POOL * r.processes}`,
    ],
    [
      'Redis used_memory before → peak (MB, whole shared server)',
      (r) => `${mb(r.redisBefore)} → ${mb(r.samples.redisUsed)}`,
    ],
    [
      "Redis: opsbot's keys at the end of the load (MB / keys)",
      (r) => `${mb(r.redisPrefix.bytes)} / ${r.redisPrefix.keys}`,
    ],
    [
      'peak RSS per process (MB)',
      (r) => [...r.samples.rss.entries()].map(([name, v]) => `${name} ${fixed(v)}`).join(', '),
    ],
    [
      'pipeline: opsbot runs/s vs raw BullMQ jobs/s',
      (r) =>
        `${fixed(r.pipeline.opsbotPerSecond, 1)} vs ${fixed(r.pipeline.rawPerSecond, 1)} (${fixed((100 * r.pipeline.opsbotPerSecond) / r.pipeline.rawPerSecond)}%)`,
    ],
    [
      'pipeline: opsbot ack p50 / created→started p50 / started→finished p50 (ms); runs made, failed',
      (r) =>
        `${fixed(r.pipeline.ackP50, 1)} / ${fixed(r.pipeline.queuedP50, 1)} / ${fixed(r.pipeline.runP50, 1)}; ${r.pipeline.created} runs, ${r.pipeline.failed} failed`,
    ],
    ['pipeline: CPU seconds during the opsbot half', (r) => r.pipeline.cpu],
    [
      'pipeline: whole machine busy (all cores, PostgreSQL and Redis included); core-ms per run vs per raw job',
      ({ pipeline: { machine } }) =>
        `${fixed(100 * machine.opsbot.share)}% vs ${fixed(100 * machine.raw.share)}%; ${fixed(machine.opsbot.msPerItem, 1)} vs ${fixed(machine.raw.msPerItem, 2)}`,
    ],
    ['pipeline: replies to the noop requests', (r) => r.pipeline.replies],
  );
  console.log(`\n| figure | ${col((r) => r.size)} |`);
  console.log(`|---|${results.map(() => '---:').join('|')}|`);
  for (const [name, pick] of rows) console.log(`| ${name} | ${col(pick)} |`);
}
