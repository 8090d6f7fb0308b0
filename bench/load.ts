/**
 * opsbot under a steady load, as deployed: `--role web` and `--role worker` processes (test/support/replica-fleet.ts)
 * on one PostgreSQL and one Redis (the tests' shared servers, under a queue prefix and databases of the bench's
 * own), the fake Slack, and Bentham's test database as the target. For each fleet size (1+1, then 2+2), an open
 * loop of signed `/ops` requests spread over the web processes (help, status, lookups, low-risk actions, one
 * study per action so every request is a run of its own) plus signed PagerDuty webhooks, then the figures: ack
 * p50/p99, request-to-execution-start p50/p99 (action_runs created_at → started_at), runs per second, Slack
 * posts per second per channel, PostgreSQL connections against the pool sizes, Redis memory, each process's RSS.
 * Then pipeline vs raw BullMQ: the same no-op SQL job through `/ops` → run row → job → worker, and through a
 * bare BullMQ queue with as many worker slots, one after the other in the same run.
 *
 *   npm run bench:load -- [--rate 50] [--duration 60] [--webhooks 5] [--fleets 1+1,2+2] [--pipeline 1000]
 *     [--drain 120]
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { parse, stringify } from 'yaml';
import { ACTIONS_QUEUE, QUEUES } from '../src/queue/queues.js';
import { testConfigText } from '../test/support/harness.js';
import type { OpsbotProcess } from '../test/support/opsbot-process.js';
import { deliver, incidentEvent } from '../test/support/pagerduty-webhooks.js';
import { deleteKeys } from '../test/support/redis-keys.js';
import { type Fleet, startFleet } from '../test/support/replica-fleet.js';
import { postSigned, slashBody } from '../test/support/signed-requests.js';
import { queuePrefix, TEST_DATABASE_URL, TEST_REDIS_URL } from '../test/support/test-env.js';
import { cpuSeconds, machineCpu, machineCpuSince } from './cpu.js';
import { type Ack, numberOption, timeAck } from './timed-ack.js';

const { values } = parseArgs({
  options: {
    // 200 a second is the figure; this machine (2 shared cores for 4 processes, the client and
    // PostgreSQL) cannot keep up with it (BENCHMARKS.md), so the default is what it can.
    rate: { type: 'string', default: '50' },
    duration: { type: 'string', default: '60' },
    webhooks: { type: 'string', default: '5' },
    fleets: { type: 'string', default: '1+1,2+2' },
    pipeline: { type: 'string', default: '1000' },
    drain: { type: 'string', default: '120' },
  },
});
const number = (name: 'rate' | 'duration' | 'webhooks' | 'pipeline' | 'drain') => numberOption(values, name);
const options = {
  rate: number('rate'),
  durationMs: number('duration') * 1000,
  webhooks: number('webhooks'),
  pipeline: number('pipeline'),
  drainMs: number('drain') * 1000,
  fleets: String(values.fleets)
    .split(',')
    .map((size) => {
      const [webs, workers] = size.split('+').map(Number);
      if (!webs || !workers) throw new Error(`--fleets takes sizes like 1+1,2+2, not ${size}`);
      return { webs, workers };
    }),
};

/** Channels the load spreads over: Slack takes one post a second per channel, and opsbot's outbox paces so. */
const CHANNELS = Array.from({ length: 128 }, (_, i) => `C0LD${String(i).padStart(3, '0')}`);
/** Operators the load speaks for: each may make at most 1000 requests a minute (ops.yml's maximum). */
const USERS = Array.from({ length: 50 }, (_, i) => `U0LD${String(i).padStart(3, '0')}`);
const STUDIES = 50_000;
const ALERTS = 'C0ALERTS';
const SERVICE = 'PSLOAD1';
/** Connections per opsbot process (src/core.ts) and per target database and process (src/targets/databases.ts). */
const OWN_POOL = 10;
const TARGET_POOL = QUEUES[ACTIONS_QUEUE].concurrency + 1;
const SLOTS = QUEUES[ACTIONS_QUEUE].concurrency;
const ACK_TIMEOUT_MS = 10_000;

/** The tests' Bentham config with the load's channels and operators, a cheap action and a no-op, PagerDuty on. */
function loadConfigText(): string {
  const config = parse(testConfigText());
  config.channels.allow.push(...CHANNELS);
  config.roles.operator.users.push(...USERS);
  config.workspace.requests_per_minute = 1000;
  config.workspace.reads_per_minute = 1000;
  Object.assign(config.services.bentham.actions, {
    bump: {
      kind: 'sql',
      summary: "Add one to a study's attempt count",
      database: 'main',
      params: { study: { type: 'string', pattern: '^study_[a-z0-9]+$' } },
      run: 'UPDATE jobs SET attempt_count = attempt_count + 1 WHERE study_id = :study',
      role: 'operator',
      risk: 'low',
    },
    noop: {
      kind: 'sql',
      summary: 'Do nothing (the pipeline benchmark)',
      database: 'main',
      params: { tag: { type: 'string', pattern: '^[a-z0-9]+$' } },
      run: 'SELECT :tag::text AS tag',
      idempotent: true,
      role: 'operator',
      risk: 'low',
    },
  });
  config.pagerduty = { channel: ALERTS, services: { [SERVICE]: 'bentham' } };
  return stringify(config);
}

type Kind = 'help' | 'status' | 'show' | 'bump' | 'noop' | 'webhook';

interface Sent extends Ack {
  kind: Kind;
}

let sequence = 0;

/** Sends one signed `/ops <text>` to `webUrl` and records its ack (0 when none came within 10 s). */
function sendSlash(webUrl: string, kind: Kind, text: string, responseUrl: string): Sent {
  const n = sequence++;
  const sent: Sent = { kind };
  const body = slashBody(text, USERS[n % USERS.length] as string, {
    channel: CHANNELS[n % CHANNELS.length] as string,
    responseUrl,
  });
  timeAck(sent, () => postSigned(webUrl, body, { signal: AbortSignal.timeout(ACK_TIMEOUT_MS) }));
  return sent;
}

/** Request `n` of the mix: 25% help, 10% status, 30% lookups, 35% low-risk actions (a study each). */
function mixed(n: number): { kind: Kind; text: string } {
  const slot = n % 20;
  const study = `study_l${n % STUDIES}`;
  if (slot < 5) return { kind: 'help', text: 'help' };
  if (slot < 7) return { kind: 'status', text: 'status bentham' };
  if (slot < 13) return { kind: 'show', text: `show bentham failed-jobs ${study}` };
  return { kind: 'bump', text: `bump bentham ${study}` };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile of sorted samples. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Resident set size of a process in MB, from /proc (0 once it has gone). */
async function rssMb(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : 0;
}

/** Each opsbot process by name (web 1, worker 1, …). */
function processesOf(fleet: Fleet): [string, OpsbotProcess][] {
  return [
    ...fleet.webProcesses.map((p, i) => [`web ${i + 1}`, p] as [string, OpsbotProcess]),
    ...fleet.workers.map((p, i) => [`worker ${i + 1}`, p] as [string, OpsbotProcess]),
  ];
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

/** Bytes Redis holds under `prefix` (MEMORY USAGE of each key), and how many keys. */
async function prefixMemory(redis: Redis, prefix: string): Promise<{ bytes: number; keys: number }> {
  let cursor = '0';
  let bytes = 0;
  let keys = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of found) {
      bytes += (await redis.memory('USAGE', key)) ?? 0;
      keys += 1;
    }
  } while (cursor !== '0');
  return { bytes, keys };
}

interface Samples {
  ownConnections: number;
  targetConnections: number;
  redisUsed: number;
  rss: Map<string, number>;
}

/** Every 500 ms, the peak connections on opsbot's and Bentham's databases, Redis memory and each RSS. */
function sampler(fleet: Fleet, admin: pg.Client, redis: Redis, names: { own: string; target: string }) {
  const peak: Samples = { ownConnections: 0, targetConnections: 0, redisUsed: 0, rss: new Map() };
  const processes = processesOf(fleet);
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await admin.query(
        'SELECT datname, count(*)::int AS n FROM pg_stat_activity WHERE datname = ANY($1) GROUP BY datname',
        [[names.own, names.target]],
      );
      const of = (name: string) => rows.find((row) => row.datname === name)?.n ?? 0;
      // The bench's own pools on the two databases are not opsbot's.
      peak.ownConnections = Math.max(peak.ownConnections, of(names.own) - fleet.db.totalCount);
      peak.targetConnections = Math.max(peak.targetConnections, of(names.target) - fleet.bentham.totalCount);
      peak.redisUsed = Math.max(peak.redisUsed, await usedMemory(redis));
      for (const [name, p] of processes) {
        peak.rss.set(name, Math.max(peak.rss.get(name) ?? 0, await rssMb(p.child.pid)));
      }
      await sleep(500);
    }
  })();
  return {
    peak,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** The most posts any channel took in one second (any 1000 ms window), and the shortest gap between two. */
function postRates(fleet: Fleet, since: number): { maxPerSecond: number; minGapMs: number; posts: number } {
  const byChannel = new Map<string, number[]>();
  for (const call of fleet.slack.calls) {
    if (call.method !== 'chat.postMessage' || call.at < since || call.status !== 200) continue;
    const channel = String(call.args.channel);
    byChannel.set(channel, [...(byChannel.get(channel) ?? []), call.at]);
  }
  let maxPerSecond = 0;
  let minGapMs = Number.POSITIVE_INFINITY;
  let posts = 0;
  for (const times of byChannel.values()) {
    times.sort((a, b) => a - b);
    posts += times.length;
    let start = 0;
    for (let i = 0; i < times.length; i += 1) {
      while ((times[i] as number) - (times[start] as number) >= 1000) start += 1;
      maxPerSecond = Math.max(maxPerSecond, i - start + 1);
      if (i > 0) minGapMs = Math.min(minGapMs, (times[i] as number) - (times[i - 1] as number));
    }
  }
  return { maxPerSecond, minGapMs, posts };
}

/** Waits until every run is final and the outbox is empty, or `drainMs` passed; how long it took. */
async function drain(fleet: Fleet): Promise<{ ms: number; done: boolean }> {
  const t0 = Date.now();
  while (Date.now() - t0 < options.drainMs) {
    const { rows } = await fleet.db.query(
      `SELECT (SELECT count(*)::int FROM action_runs WHERE state IN ('queued', 'running')) AS runs,
              (SELECT count(*)::int FROM slack_outbox WHERE state = 'pending') AS posts`,
    );
    if (rows[0].runs === 0 && rows[0].posts === 0) return { ms: Date.now() - t0, done: true };
    await sleep(500);
  }
  return { ms: Date.now() - t0, done: false };
}

interface LoadResult {
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

interface PipelineResult {
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

/** The open loop: `rate` requests a second over the web processes, and `webhooks` PagerDuty events a second. */
async function runLoad(fleet: Fleet): Promise<Sent[]> {
  const sent: Sent[] = [];
  const t0 = performance.now();
  let requests = 0;
  let webhooks = 0;
  while (performance.now() - t0 < options.durationMs) {
    const elapsed = performance.now() - t0;
    while (requests < (elapsed / 1000) * options.rate) {
      const { kind, text } = mixed(requests);
      const web = fleet.webs[requests % fleet.webs.length] as string;
      sent.push(sendSlash(web, kind, text, fleet.slack.responseUrl(`ld${requests % 64}`)));
      requests += 1;
    }
    while (webhooks < (elapsed / 1000) * options.webhooks) {
      const web = fleet.webs[webhooks % fleet.webs.length] as string;
      const record: Sent = { kind: 'webhook' };
      const id = `PLD${sequence++}`;
      timeAck(record, () =>
        deliver(web, incidentEvent('incident.triggered', { id, serviceId: SERVICE, number: webhooks + 1 })),
      );
      sent.push(record);
      webhooks += 1;
    }
    await sleep(2);
  }
  // Every ack is in, or timed out.
  const deadline = Date.now() + ACK_TIMEOUT_MS + 1000;
  while (sent.some((s) => s.status === undefined) && Date.now() < deadline) await sleep(50);
  return sent;
}

/**
 * The same no-op (`SELECT $tag`) through opsbot (signed `/ops noop bentham <tag>`, 32 in flight, until every run
 * has finished) and through a bare BullMQ queue whose workers have as many slots as opsbot's and run it on a pool
 * of the same size; runs per second each, from the first request (or add) to the last finished.
 */
async function pipeline(fleet: Fleet): Promise<PipelineResult> {
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
    ...processes.map(([name], i) => `${name} ${f((cpuAfter[i] ?? 0) - (cpuBefore[i] ?? 0), 1)}`),
    `bench ${f((benchCpu.user + benchCpu.system) / 1e6, 1)}`,
    `wall ${f((Number(result.last) - t0) / 1000, 1)}`,
  ].join(', ');

  const prefix = queuePrefix('bench_raw');
  const connection = { url: TEST_REDIS_URL };
  const queue = new Queue('raw-noop', { connection, prefix });
  const target = new pg.Pool({ connectionString: fleetTargetUrl, max: TARGET_POOL });
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

/** Bentham's database of the fleet being measured (for the raw BullMQ workers' pool). */
let fleetTargetUrl = '';

async function measureFleet(webs: number, workers: number): Promise<LoadResult> {
  const size = `${webs}+${workers}`;
  log(`${size}: starting ${webs} web and ${workers} worker processes`);
  const fleet = await startFleet(loadConfigText(), webs, workers);
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  const redis = new Redis(TEST_REDIS_URL);
  try {
    await fleet.bentham.query(
      `INSERT INTO jobs (study_id, status, attempt_count)
       SELECT 'study_l' || n, 'failed', 0 FROM generate_series(0, $1 - 1) AS n`,
      [STUDIES],
    );
    await fleet.bentham.query('CREATE INDEX ON jobs (study_id)');
    const own = (await fleet.db.query('SELECT current_database() AS name')).rows[0].name as string;
    const target = (await fleet.bentham.query('SELECT current_database() AS name')).rows[0].name as string;
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${target}`;
    fleetTargetUrl = url.toString();
    const redisBefore = await usedMemory(redis);
    const watch = sampler(fleet, admin, redis, { own, target });
    const since = Date.now();
    const machineBefore = await machineCpu();
    log(
      `${size}: ${options.rate} requests/s and ${options.webhooks} webhooks/s for ${options.durationMs / 1000} s`,
    );
    const sent = await runLoad(fleet);
    const loadEnd = Date.now();
    const loadBusy = (await machineCpuSince(machineBefore)).share;
    const redisPrefix = await prefixMemory(redis, fleet.prefix);
    const backlog = await fleet.db.query(
      "SELECT count(*)::int AS n FROM slack_outbox WHERE state = 'pending'",
    );
    log(`${size}: ${sent.length} sent; draining runs and the outbox`);
    const drained = await drain(fleet);
    await watch.stop();
    const { rows } = await fleet.db.query(
      `SELECT count(*)::int AS runs,
              count(*) FILTER (WHERE started_at <= to_timestamp($2 / 1000.0))::int AS started_in_load,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - created_at) * 1000) AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - created_at) * 1000) AS p99
       FROM action_runs WHERE created_at >= to_timestamp($1 / 1000.0) AND action = 'bump'`,
      [since, loadEnd],
    );
    const perKind = new Map<Kind, { ok: number; failed: number; acks: number[] }>();
    for (const s of sent) {
      const entry = perKind.get(s.kind) ?? { ok: 0, failed: 0, acks: [] };
      if ((s.status === 200 || s.status === 202) && s.ackMs !== undefined) {
        entry.ok += 1;
        entry.acks.push(s.ackMs);
      } else entry.failed += 1;
      perKind.set(s.kind, entry);
    }
    for (const entry of perKind.values()) entry.acks.sort((a, b) => a - b);
    const posts = postRates(fleet, since);
    log(`${size}: pipeline vs raw BullMQ, ${options.pipeline} no-op jobs each`);
    const pipelineResult = await pipeline(fleet);
    return {
      size,
      processes: webs + workers,
      sent: sent.length,
      perKind,
      startP50: Number(rows[0].p50),
      startP99: Number(rows[0].p99),
      runs: rows[0].runs,
      runsPerSecond: rows[0].started_in_load / ((loadEnd - since) / 1000),
      posts,
      samples: watch.peak,
      redisBefore,
      redisPrefix,
      drained,
      backlogAtEnd: backlog.rows[0].n,
      loadBusy,
      pipeline: pipelineResult,
    };
  } finally {
    redis.disconnect();
    await admin.end();
    await fleet.stop();
    await fleet.close();
  }
}

const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const f = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

function report(results: LoadResult[], loadStart: number[], loadEnd: number[]): void {
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
        return `${f(percentile(acks, 50), 1)} / ${f(percentile(acks, 99), 1)}`;
      },
    ]);
  }
  rows.push(
    [
      'ack p50 / p99 (ms): all',
      (r) => {
        const all = [...r.perKind.values()].flatMap((e) => e.acks).sort((a, b) => a - b);
        return `${f(percentile(all, 50), 1)} / ${f(percentile(all, 99), 1)}`;
      },
    ],
    ['request → execution start p50 / p99 (ms)', (r) => `${f(r.startP50, 1)} / ${f(r.startP99, 1)}`],
    ['runs started per second (during the load)', (r) => `${f(r.runsPerSecond, 1)} (${r.runs} runs)`],
    ['whole machine busy during the load (all cores)', (r) => `${f(100 * r.loadBusy)}%`],
    [
      'Slack posts: max per channel in any 1 s / shortest gap (ms) / total',
      (r) => `${r.posts.maxPerSecond} / ${f(r.posts.minGapMs)} / ${r.posts.posts}`,
    ],
    ['outbox backlog at the end of the load', (r) => String(r.backlogAtEnd)],
    [
      'runs and outbox drained after (s)',
      (r) => `${f(r.drained.ms / 1000, 1)}${r.drained.done ? '' : ' (not drained)'}`,
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
      (r) => [...r.samples.rss.entries()].map(([name, v]) => `${name} ${f(v)}`).join(', '),
    ],
    [
      'pipeline: opsbot runs/s vs raw BullMQ jobs/s',
      (r) =>
        `${f(r.pipeline.opsbotPerSecond, 1)} vs ${f(r.pipeline.rawPerSecond, 1)} (${f((100 * r.pipeline.opsbotPerSecond) / r.pipeline.rawPerSecond)}%)`,
    ],
    [
      'pipeline: opsbot ack p50 / created→started p50 / started→finished p50 (ms); runs made, failed',
      (r) =>
        `${f(r.pipeline.ackP50, 1)} / ${f(r.pipeline.queuedP50, 1)} / ${f(r.pipeline.runP50, 1)}; ${r.pipeline.created} runs, ${r.pipeline.failed} failed`,
    ],
    ['pipeline: CPU seconds during the opsbot half', (r) => r.pipeline.cpu],
    [
      'pipeline: whole machine busy (all cores, PostgreSQL and Redis included); core-ms per run vs per raw job',
      ({ pipeline: { machine } }) =>
        `${f(100 * machine.opsbot.share)}% vs ${f(100 * machine.raw.share)}%; ${f(machine.opsbot.msPerItem, 1)} vs ${f(machine.raw.msPerItem, 2)}`,
    ],
    ['pipeline: replies to the noop requests', (r) => r.pipeline.replies],
  );
  console.log(`\n| figure | ${col((r) => r.size)} |`);
  console.log(`|---|${results.map(() => '---:').join('|')}|`);
  for (const [name, pick] of rows) console.log(`| ${name} | ${col(pick)} |`);
}

async function main(): Promise<void> {
  const loadStart = os.loadavg();
  log(`load average at start: ${loadStart.map((x) => x.toFixed(2)).join(' ')}`);
  const results: LoadResult[] = [];
  for (const { webs, workers } of options.fleets) results.push(await measureFleet(webs, workers));
  const loadEnd = os.loadavg();
  log(`load average at end: ${loadEnd.map((x) => x.toFixed(2)).join(' ')}`);
  report(results, loadStart, loadEnd);
}

await main();
