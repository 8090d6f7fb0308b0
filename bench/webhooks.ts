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
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { signBody } from '../src/pagerduty/signature.js';
import { createTestDatabase } from '../test/support/databases.js';
import { FakeSlack } from '../test/support/fake-slack.js';
import { incidentEvent, PD_SECRET, pagerDutyConfigText } from '../test/support/pagerduty-webhooks.js';
import { deleteKeys } from '../test/support/redis-keys.js';
import { queuePrefix, TEST_REDIS_URL, testVars } from '../test/support/test-env.js';
import { LightClient, postDelivery } from './light-client.js';
import { percentile, sleep } from './stats.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BURST = 200;
const WARMUP_BURSTS = 3;
const TIMED_BURSTS = 10;
const BURST_GAP_MS = 1_000;
const PER_MINUTE = 10_000;
const SUSTAINED_S = Number(process.argv[2] ?? 120);
/** One delivery in this many is sent a second time (same body, same X-Webhook-Id), as PagerDuty may. */
const REDELIVER_EVERY = 50;
/** PagerDuty services the incidents belong to (each one rolls up into a storm after its first cards). */
const SERVICES = 40;
const DRAIN_TIMEOUT_MS = 10 * 60_000;

interface Delivery {
  body: string;
  signature: string;
  webhookId: string;
  eventId: string;
}

interface Sample {
  ms: number;
  status: number;
}

let incidents = 0;
/** Deliveries of fresh incidents: triggered, acknowledged, resolved, round-robin over the services. */
function* deliveries(): Generator<Delivery> {
  for (;;) {
    incidents += 1;
    const id = `QB${incidents}`;
    const serviceId = `PSBENCH${incidents % SERVICES}`;
    for (const [type, status] of [
      ['incident.triggered', 'triggered'],
      ['incident.acknowledged', 'acknowledged'],
      ['incident.resolved', 'resolved'],
    ] as const) {
      const envelope = incidentEvent(type, { id, number: incidents, status, serviceId }, { agent: 'Alice' });
      const body = JSON.stringify(envelope);
      const eventId = (envelope.event as { id: string }).id;
      yield { body, signature: signBody(body, PD_SECRET), webhookId: randomUUID(), eventId };
    }
  }
}

/** The sending client, on opsbot's port once it listens. */
let client: LightClient | undefined;

/** Sends one delivery; resolves with its latency to the end of the response (status 0: no answer in 5 s). */
function send(port: number, delivery: Delivery): Promise<Sample> {
  client ??= new LightClient(port);
  // PagerDuty waits 5 s for an answer (the client's timeout).
  return postDelivery(client, delivery);
}

/** Deliveries not answered 2xx, and PagerDuty's redeliveries of them (1 s apart here, up to 10). */
const refused = { first: new Map<number, number>(), redeliveries: 0, pending: [] as Promise<void>[] };

/** Sends one delivery and, when it is not answered 2xx, delivers it again until it is, as PagerDuty does. */
async function deliver(port: number, delivery: Delivery): Promise<Sample> {
  const sample = await send(port, delivery);
  if (sample.status < 200 || sample.status >= 300) {
    refused.first.set(sample.status, (refused.first.get(sample.status) ?? 0) + 1);
    refused.pending.push(
      (async () => {
        for (let attempt = 0; attempt < 10; attempt += 1) {
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          refused.redeliveries += 1;
          const again = await send(port, delivery);
          if (again.status >= 200 && again.status < 300) return;
        }
      })(),
    );
  }
  return sample;
}

/** Everything sent, for the counts at the end. */
const sent = { deliveries: 0, events: new Set<string>(), redelivered: 0 };

function track(delivery: Delivery): void {
  if (sent.events.has(delivery.eventId)) sent.redelivered += 1;
  sent.events.add(delivery.eventId);
  sent.deliveries += 1;
}

/** `count` deliveries at once; a few of them redeliveries of the ones before. */
async function burst(port: number, source: Generator<Delivery>, count: number): Promise<Sample[]> {
  const batch: Delivery[] = [];
  while (batch.length < count) {
    const next = source.next().value as Delivery;
    batch.push(next);
    if (batch.length % REDELIVER_EVERY === 0 && batch.length < count) batch.push(next);
  }
  for (const delivery of batch) track(delivery);
  return Promise.all(batch.map((delivery) => deliver(port, delivery)));
}

/** `perMinute` deliveries a minute, each at its slot whatever the answers before it (open loop). */
async function sustained(
  port: number,
  source: Generator<Delivery>,
  perMinute: number,
  seconds: number,
): Promise<{ samples: Sample[]; lateMs: number }> {
  const intervalMs = 60_000 / perMinute;
  const total = Math.round((perMinute * seconds) / 60);
  const pending: Promise<Sample>[] = [];
  const t0 = performance.now();
  let previous: Delivery | undefined;
  let lateMs = 0;
  for (let i = 0; i < total; i += 1) {
    const due = t0 + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    lateMs = Math.max(lateMs, performance.now() - due);
    const delivery = previous && i % REDELIVER_EVERY === 0 ? previous : (source.next().value as Delivery);
    previous = delivery;
    track(delivery);
    pending.push(deliver(port, delivery));
  }
  return { samples: await Promise.all(pending), lateMs };
}

/** A child opsbot process; resolves with the port of its HTTP server once it logged 'opsbot started'. */
function spawnOpsbot(
  role: 'web' | 'worker',
  env: Record<string, string>,
  logFile: string,
): { child: ChildProcess; port: Promise<number> } {
  // node itself with tsx's loader (not the tsx wrapper, which runs node as a child), so `pid` is opsbot's.
  const args = ['--import', 'tsx', join(ROOT, 'src/cli.ts'), 'start', '--role', role];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = createWriteStream(logFile);
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const port = new Promise<number>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const started = /"port":(\d+)[^\n]*"msg":"opsbot started"/.exec(seen);
      if (started) resolve(Number(started[1]));
      if (seen.length > 100_000) seen = seen.slice(-10_000);
    });
    child.on('exit', (code) => reject(new Error(`opsbot --role ${role} exited (${code}); see ${logFile}`)));
  });
  return { child, port };
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux). */
async function cpuMs(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime (fields 14 and 15 of stat) in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system) the bench's own process has used so far, in ms. */
function benchCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * BENCH_NICE (root only): the priority (-20 to 19) the bench, opsbot's two processes and the PostgreSQL
 * backends of the bench's database run at, so that other work on a shared machine disturbs the figures less.
 * Unset, everything runs at its usual priority.
 */
const NICE = process.env.BENCH_NICE === undefined ? undefined : Number(process.env.BENCH_NICE);

async function renice(
  priority: number,
  pids: (number | undefined)[],
  db: pg.Pool,
  url: string,
): Promise<void> {
  const { rows } = await db.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [
    new URL(url).pathname.slice(1),
  ]);
  for (const pid of [...pids, ...rows.map((row) => Number(row.pid))]) {
    if (pid !== undefined) os.setPriority(pid, priority);
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
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
  const [web0, worker0, bench0] = [await cpuMs(pids.web), await cpuMs(pids.worker), benchCpuMs()];
  const samples = await load();
  const web1 = await cpuMs(pids.web);
  const bench1 = benchCpuMs();
  const loadAverage = os.loadavg()[0] ?? Number.NaN;
  const drainMs = await drain(db);
  const worker1 = await cpuMs(pids.worker);
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
  const children: ChildProcess[] = [];
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
      OPSBOT_CONFIG: join(dir, 'ops.yml'),
      PAGERDUTY_WEBHOOK_SECRET: PD_SECRET,
      LOG_LEVEL: 'info',
    };
    // The web process migrates the fresh database first; the worker starts on it after.
    const web = spawnOpsbot('web', env, join(dir, 'web.log'));
    children.push(web.child);
    const port = await web.port;
    const worker = spawnOpsbot('worker', env, join(dir, 'worker.log'));
    children.push(worker.child);
    await worker.port;
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
    const requeued = (await readFile(join(dir, 'worker.log'), 'utf8'))
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
    for (const child of children.reverse()) await stopChild(child);
    client?.close();
    await db.end();
    await slack.stop();
    await database.drop();
    await deleteKeys(prefix);
    if (process.env.KEEP_BENCH_LOGS) console.log(`\nlogs kept in ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

await main();
