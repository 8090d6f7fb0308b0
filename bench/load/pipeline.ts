import { Queue, Worker } from 'bullmq';
import pg from 'pg';
import { ACTIONS_QUEUE, QUEUES } from '../../src/queue/queues.js';
import { deleteKeys } from '../../test/support/redis-keys.js';
import type { Fleet } from '../../test/support/replica-fleet.js';
import { queuePrefix, TEST_REDIS_URL } from '../../test/support/test-env.js';
import { cpuSeconds, machineCpu, machineCpuSince } from '../cpu.js';
import { fixed, percentile, sleep } from '../stats.js';
import { options } from './options.js';
import { processesOf } from './samples.js';
import { sendSlash } from './traffic.js';

/** Actions a worker process runs at once: the raw BullMQ workers get as many slots. */
const SLOTS = QUEUES[ACTIONS_QUEUE].concurrency;
/** Connections per target database and process (src/targets/databases.ts): the raw workers' pool too. */
export const TARGET_POOL = SLOTS + 1;

export interface PipelineResult {
  jobs: number;
  opsbotPerSecond: number;
  rawPerSecond: number;
  ackP50: number;
  queuedP50: number;
  runP50: number;
  failed: number;
  /** Runs the `jobs` requests made (each request refused in a reply makes none). */
  created: number;
  /** The ephemeral replies the noop requests got, counted by their first words. */
  replies: string;
  /** CPU seconds each opsbot process and the bench itself used during the opsbot half, and its wall seconds. */
  cpu: string;
  /** The whole machine's busy share and core-ms per run (opsbot) and per job (raw), PostgreSQL and Redis included. */
  machine: { opsbot: CpuPerItem; raw: CpuPerItem };
}

interface CpuPerItem {
  share: number;
  msPerItem: number;
}

/**
 * The same no-op (`SELECT $tag`) through opsbot (signed `/ops noop bentham <tag>`, 32 in flight, until every run
 * has finished) and through a bare BullMQ queue whose workers have as many slots as opsbot's and run it on a pool
 * of the same size (on `targetUrl`, the fleet's Bentham database); runs per second each, from the first request
 * (or add) to the last finished.
 */
export async function pipeline(fleet: Fleet, targetUrl: string): Promise<PipelineResult> {
  const jobs = options.pipeline;
  const tag = `p${Date.now().toString(36)}`;
  const processes = processesOf(fleet);
  const cpuBefore = await Promise.all(processes.map(([, p]) => cpuSeconds(p.child.pid)));
  const benchBefore = process.cpuUsage();
  const machineBefore = await machineCpu();
  const t0 = Date.now();
  let next = 0;
  const acks: number[] = [];
  const send = async () => {
    while (next < jobs) {
      const n = next++;
      const s = sendSlash(
        fleet.webs[n % fleet.webs.length] as string,
        'noop',
        `noop bentham ${tag}x${n}`,
        fleet.slack.responseUrl('pipeline'),
      );
      while (s.status === undefined) await sleep(1);
      if (s.ackMs !== undefined) acks.push(s.ackMs);
    }
  };
  await Promise.all(Array.from({ length: 32 }, send));
  const finished = async () => {
    const { rows } = await fleet.db.query(
      `SELECT count(*)::int AS created,
              count(*) FILTER (WHERE state NOT IN ('planned', 'queued', 'running'))::int AS done,
              count(*) FILTER (WHERE state = 'failed')::int AS failed,
              extract(epoch FROM max(finished_at)) * 1000 AS last,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - created_at) * 1000) AS queued,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at) * 1000) AS run
       FROM action_runs WHERE params->>'tag' LIKE $1`,
      [`${tag}x%`],
    );
    return rows[0];
  };
  // Until every run the requests made is final (a request refused in a reply makes none), or the drain time.
  let result = await finished();
  while (result.done < result.created && Date.now() - t0 < options.drainMs) {
    await sleep(200);
    result = await finished();
  }
  const opsbotPerSecond = result.done / ((Number(result.last) - t0) / 1000);
  const opsbotMachine = await machineCpuSince(machineBefore);
  // What opsbot answered the requests that made no run (or the runs that failed), by its first words.
  const replies = new Map<string, number>();
  for (const call of fleet.slack.calls) {
    if (call.method !== 'respond/pipeline') continue;
    const words = String(call.args.text ?? '')
      .replace(/err_[a-f0-9]+/g, 'err_…')
      .slice(0, 70);
    replies.set(words, (replies.get(words) ?? 0) + 1);
  }
  const answered = [...replies.entries()].map(([text, count]) => `${count}× "${text}"`).join('; ');
  const cpuAfter = await Promise.all(processes.map(([, p]) => cpuSeconds(p.child.pid)));
  const benchCpu = process.cpuUsage(benchBefore);
  const cpu = [
    ...processes.map(([name], i) => `${name} ${fixed((cpuAfter[i] ?? 0) - (cpuBefore[i] ?? 0), 1)}`),
    `bench ${fixed((benchCpu.user + benchCpu.system) / 1e6, 1)}`,
    `wall ${fixed((Number(result.last) - t0) / 1000, 1)}`,
  ].join(', ');

  const prefix = queuePrefix('bench_raw');
  const connection = { url: TEST_REDIS_URL };
  const queue = new Queue('raw-noop', { connection, prefix });
  const target = new pg.Pool({ connectionString: targetUrl, max: TARGET_POOL });
  let completed = 0;
  let lastAt = 0;
  const workers = fleet.workers.map(
    () =>
      new Worker(
        'raw-noop',
        async (job) => {
          await target.query('SELECT $1::text AS tag', [job.data.tag]);
        },
        { connection, prefix, concurrency: SLOTS },
      ),
  );
  for (const worker of workers) {
    worker.on('completed', () => {
      completed += 1;
      lastAt = Date.now();
    });
  }
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  const rawMachineBefore = await machineCpu();
  const r0 = Date.now();
  next = 0;
  const add = async () => {
    while (next < jobs) {
      const n = next++;
      await queue.add('noop', { tag: `${tag}x${n}` }, { removeOnComplete: 1000 });
    }
  };
  await Promise.all(Array.from({ length: 32 }, add));
  while (completed < jobs && Date.now() - r0 < options.drainMs) await sleep(20);
  const rawPerSecond = completed / ((lastAt - r0) / 1000);
  const rawMachine = await machineCpuSince(rawMachineBefore);
  await Promise.all(workers.map((worker) => worker.close()));
  await queue.close();
  await target.end();
  await deleteKeys(prefix);
  acks.sort((a, b) => a - b);
  return {
    jobs,
    opsbotPerSecond,
    rawPerSecond,
    ackP50: percentile(acks, 50),
    queuedP50: Number(result.queued),
    runP50: Number(result.run),
    failed: result.failed,
    created: result.created,
    replies: answered || 'none',
    cpu,
    machine: {
      opsbot: {
        share: opsbotMachine.share,
        msPerItem: (1000 * opsbotMachine.busy) / Math.max(1, result.done),
      },
      raw: { share: rawMachine.share, msPerItem: (1000 * rawMachine.busy) / Math.max(1, completed) },
    },
  };
}
