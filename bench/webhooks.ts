/**
 * PagerDuty webhook answers under bursts: the time from sending a signed `POST /webhooks/pagerduty` to the
 * end of its response, against a real opsbot run as two processes (`--role web` and `--role worker`, the CLI
 * under tsx) on a fresh database and queue prefix, with the fake Slack of the tests. Two loads:
 *
 * - bursts: 200 deliveries sent at once, repeated (warm-up bursts discarded);
 * - sustained: 10,000 deliveries a minute (one every 6 ms, open loop) for 2 minutes.
 *
 * Then it waits for the worker to handle every stored event and counts, from PostgreSQL and the fake Slack,
 * what was stored, handled, lost and doubled. A few deliveries are sent twice (PagerDuty's at-least-once).
 *
 *   npm run bench:webhooks            # or: npx tsx bench/webhooks.ts [sustainedSeconds]
 *   BENCH_NICE=-10 npm run bench:webhooks   # as root on a shared machine: see NICE
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createTestDatabase } from '../test/support/databases.js';
import { FakeSlack } from '../test/support/fake-slack.js';
import { type OpsbotProcess, portOf, spawnRole, stopOpsbot } from '../test/support/opsbot-process.js';
import { PD_SECRET, pagerDutyConfigText } from '../test/support/pagerduty-webhooks.js';
import { deleteKeys } from '../test/support/redis-keys.js';
import { queuePrefix, TEST_REDIS_URL, testVars } from '../test/support/test-env.js';
import { cpuSeconds } from './cpu.js';
import { percentile, sleep } from './stats.js';
import { NICE, renice } from './webhooks/nice.js';
import {
  burst,
  closeClient,
  deliveries,
  refused,
  type Sample,
  SERVICES,
  sent,
  sustained,
} from './webhooks/sender.js';

const BURST = 200;
const WARMUP_BURSTS = 3;
const TIMED_BURSTS = 10;
const BURST_GAP_MS = 1_000;
const PER_MINUTE = 10_000;
const SUSTAINED_S = Number(process.argv[2] ?? 120);
const DRAIN_TIMEOUT_MS = 10 * 60_000;

/** CPU time (user + system) the bench's own process has used so far, in ms. */
function benchCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Polls until every stored event is handled; returns how long that took after the last delivery's answer. */
async function drain(db: pg.Pool): Promise<number> {
  const t0 = performance.now();
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const { rows } = await db.query(
      'SELECT count(*)::int AS n FROM pagerduty_webhook_events WHERE processed_at IS NULL',
    );
    if (rows[0].n === 0) return performance.now() - t0;
    if (Date.now() > deadline) return Number.NaN;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** One timed load: its answers, and what it cost the web and worker processes. */
interface Phase {
  name: string;
  samples: Sample[];
  /** CPU ms of the web process per delivery while the load ran. */
  webCpu: number;
  /** CPU ms of the worker process per delivery, from the load's start until every event was handled. */
  workerCpu: number;
  /** CPU ms of the bench itself (the sending client and the fake Slack) per delivery while the load ran. */
  benchCpu: number;
  /** The 1-minute load average when the load ended (other processes share the 2 cores). */
  loadAverage: number;
  /** How long after the last answer the worker had handled every stored event. */
  drainMs: number;
}

async function timed(
  name: string,
  pids: { web?: number; worker?: number },
  db: pg.Pool,
  load: () => Promise<Sample[]>,
): Promise<Phase> {
  const [web0, worker0, bench0] = [
    1000 * (await cpuSeconds(pids.web)),
    1000 * (await cpuSeconds(pids.worker)),
    benchCpuMs(),
  ];
  const samples = await load();
  const web1 = 1000 * (await cpuSeconds(pids.web));
  const bench1 = benchCpuMs();
  const loadAverage = os.loadavg()[0] ?? Number.NaN;
  const drainMs = await drain(db);
  const worker1 = 1000 * (await cpuSeconds(pids.worker));
  const n = samples.length;
  return {
    name,
    samples,
    webCpu: (web1 - web0) / n,
    workerCpu: (worker1 - worker0) / n,
    benchCpu: (bench1 - bench0) / n,
    loadAverage,
    drainMs,
  };
}

function row(phase: Phase): string {
  const { samples } = phase;
  const ok = samples.filter((s) => s.status >= 200 && s.status < 300).length;
  const max = Math.max(...samples.map((s) => s.ms));
  const cells = [
    phase.name,
    samples.length,
    ok,
    samples.length - ok,
    percentile(
      samples.map((s) => s.ms),
      50,
    ).toFixed(1),
    percentile(
      samples.map((s) => s.ms),
      99,
    ).toFixed(1),
    max.toFixed(1),
    phase.webCpu.toFixed(2),
    phase.workerCpu.toFixed(2),
    phase.benchCpu.toFixed(2),
    (phase.drainMs / 1000).toFixed(1),
    phase.loadAverage.toFixed(1),
  ];
  return `| ${cells.join(' | ')} |`;
}

async function main(): Promise<void> {
  const slack = await new FakeSlack().start();
  const database = await createTestDatabase('opsbot_bench');
  const prefix = queuePrefix('opsbot_bench');
  const dir = await mkdtemp(join(os.tmpdir(), 'opsbot-bench-webhooks-'));
  const db = new pg.Pool({ connectionString: database.url, max: 2 });
  const processes: OpsbotProcess[] = [];
  try {
    const services = Object.fromEntries(
      Array.from({ length: SERVICES }, (_, n) => [`PSBENCH${n}`, 'bentham']),
    );
    await writeFile(join(dir, 'ops.yml'), pagerDutyConfigText(services));
    const env = {
      ...testVars(slack, database.url, prefix),
      BENTHAM_DATABASE_URL: database.url,
      BENTHAM_URL: 'https://api.bentham.example',
      BENTHAM_REDIS_URL: TEST_REDIS_URL,
      PAGERDUTY_WEBHOOK_SECRET: PD_SECRET,
    };
    // The web process migrates the fresh database first; the worker starts on it after.
    const web = await spawnRole('web', dir, env);
    processes.push(web);
    const port = portOf(web);
    const worker = await spawnRole('worker', dir, env);
    processes.push(worker);
    const pids = { web: web.child.pid, worker: worker.child.pid };
    const nice = async () => {
      if (NICE !== undefined) await renice(NICE, [process.pid, pids.web, pids.worker], db, database.url);
    };
    await nice();

    const source = deliveries();
    console.error(`bursts of ${BURST}…`);
    for (let i = 0; i < WARMUP_BURSTS; i += 1) {
      await burst(port, source, BURST);
      await sleep(BURST_GAP_MS);
    }
    await drain(db);
    // The pools have their connections now: their PostgreSQL backends get the priority too.
    await nice();
    /** The slowest answer of each timed burst (a burst's last answer is its whole time). */
    const slowest: number[] = [];
    const bursts = await timed(`${TIMED_BURSTS} bursts of ${BURST} at once`, pids, db, async () => {
      const samples: Sample[] = [];
      for (let i = 0; i < TIMED_BURSTS; i += 1) {
        const answers = await burst(port, source, BURST);
        slowest.push(Math.max(...answers.map((answer) => answer.ms)));
        samples.push(...answers);
        await sleep(BURST_GAP_MS);
      }
      return samples;
    });
    console.error(`${PER_MINUTE} a minute for ${SUSTAINED_S} s…`);
    let lateMs = 0;
    const steady = await timed(`${PER_MINUTE}/min for ${SUSTAINED_S} s`, pids, db, async () => {
      const result = await sustained(port, source, PER_MINUTE, SUSTAINED_S);
      lateMs = result.lateMs;
      return result.samples;
    });
    // PagerDuty's redeliveries of what was refused, then whatever they stored handled.
    await Promise.all(refused.pending);
    await drain(db);

    const { rows } = await db.query(
      `SELECT count(*)::int AS stored, count(DISTINCT event_id)::int AS distinct_events,
         count(*) FILTER (WHERE processed_at IS NOT NULL)::int AS handled
       FROM pagerduty_webhook_events`,
    );
    const counts = rows[0] as { stored: number; distinct_events: number; handled: number };
    const storedIds = new Set(
      (await db.query('SELECT event_id FROM pagerduty_webhook_events')).rows.map((r) => r.event_id as string),
    );
    const lost = [...sent.events].filter((id) => !storedIds.has(id)).length;
    // A card posted twice would be a doubled event as a person sees it: one post per card key at most.
    const posts = new Map<string, number>();
    for (const call of slack.calls.filter((c) => c.method === 'chat.postMessage')) {
      const key = /pd_(?:alert|storm):[A-Za-z0-9]+/.exec(JSON.stringify(call.args.blocks))?.[0] ?? 'other';
      posts.set(key, (posts.get(key) ?? 0) + 1);
    }
    const doubledPosts = [...posts.entries()].filter(([key, n]) => key !== 'other' && n > 1).length;
    // The sweep logs one line a sweep with the count of the events it revived.
    const requeued = worker
      .output()
      .split('\n')
      .filter((line) => line.includes('their jobs are live again'))
      .reduce((sum, line) => sum + Number((JSON.parse(line) as { count?: number }).count ?? 0), 0);

    const cpus = os.cpus();
    console.log('## Machine\n');
    console.log(`- date: ${new Date().toISOString()}`);
    console.log(`- node ${process.version}, ${os.platform()} ${os.release()} ${os.arch()}`);
    console.log(`- os.cpus().length: ${cpus.length}, cpu model: ${cpus[0]?.model.trim() ?? 'unknown'}`);
    console.log(`- sender's worst lateness against the sustained schedule: ${lateMs.toFixed(1)} ms`);
    console.log(
      `- priority: ${NICE === undefined ? 'usual (BENCH_NICE unset)' : `nice ${NICE} for the bench, opsbot and its PostgreSQL backends`}`,
    );
    console.log('\n## Answers\n');
    console.log(
      '| load | deliveries | 2xx | other | p50 (ms) | p99 (ms) | max (ms) | web CPU ms/delivery | worker CPU ms/delivery | bench CPU ms/delivery | all handled after (s) | load average |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    console.log(row(bursts));
    console.log(row(steady));
    console.log(`\nThe slowest answer of each burst (ms): ${slowest.map((ms) => ms.toFixed(0)).join(', ')}.`);
    console.log('\n## Events (warm-up included)\n');
    console.log(
      '| deliveries sent | of them redeliveries | distinct events | stored | handled | lost | stored twice | cards posted twice | Slack posts | revived by the sweep |',
    );
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    const cells = [
      sent.deliveries,
      sent.redelivered,
      sent.events.size,
      counts.stored,
      counts.handled,
      lost,
      counts.stored - counts.distinct_events,
      doubledPosts,
      [...posts.values()].reduce((a, b) => a + b, 0),
      requeued,
    ];
    console.log(`| ${cells.join(' | ')} |`);
    const statuses = [...refused.first.entries()].map(
      ([status, n]) => `${n} × ${status || 'no answer in 5 s'}`,
    );
    console.log(
      `\nAnswered other than 2xx at first: ${statuses.join(', ') || 'none'}; redeliveries of them: ${refused.redeliveries}.`,
    );
  } finally {
    if (process.env.KEEP_BENCH_LOGS) {
      for (const [name, proc] of [
        ['web', processes[0]],
        ['worker', processes[1]],
      ] as const) {
        if (proc) await writeFile(join(dir, `${name}.log`), proc.output());
      }
    }
    for (const proc of processes.reverse()) await stopOpsbot(proc);
    closeClient();
    await db.end();
    await slack.stop();
    await database.drop();
    await deleteKeys(prefix);
    if (process.env.KEEP_BENCH_LOGS) console.log(`\nlogs kept in ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

await main();
