/**
 * opsbot under faults, measured from outside: opsbot runs as separate processes (`--role web` and two
 * `--role worker`) on a PostgreSQL cluster and a redis-server of the bench's own (stopped and started by the
 * bench; never the shared ones), with the fake Slack of the tests and Bentham's test database as the target.
 * A steady stream of signed `/ops bump bentham <study>` requests (low risk, not idempotent, one study each)
 * runs while each fault happens; afterwards the bench counts, per request, how often the action ran (the
 * study's attempt count), whether opsbot refused it in a sentence, and the card and outcome messages Slack
 * took for its run, and how long after the fault's end everything requested before it was done with.
 *
 * Faults, in order: kill -9 of a worker mid-action, SIGTERM of a worker, a Redis restart (no persistence: its
 * keys are gone), a PostgreSQL restart, Slack answering 503 and then 429, and a burst of signed PagerDuty
 * webhooks (ack latency, and stored / handled / doubled). Durations are options:
 *
 *   npm run bench:faults -- [--rate 4] [--before 5] [--after 10] [--outage 10] [--slack-503 30] [--slack-429 30]
 *     [--retry-after 3] [--hang 5] [--webhooks 10000] [--concurrency 200] [--services 10] [--drain 180]
 *     [--settle 90] [--only kill,term,redis,postgres,slack,webhooks] [--keep-logs]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ACTIONS_QUEUE, QUEUES } from '../src/queue/queues.js';
import { OpsbotCluster } from './faults/cluster.js';
import { type SentRequest, SteadyLoad, sendRequest } from './faults/load.js';
import { printFaults, printWebhooks } from './faults/report.js';
import { type FaultRow, faultRow, outcomes, type RequestOutcome, settle } from './faults/tally.js';
import { type BurstResult, webhookBurst } from './faults/webhook-burst.js';
import { sleep } from './stats.js';
import { numberOption } from './timed-ack.js';

const FAULTS = ['kill', 'term', 'redis', 'postgres', 'slack', 'webhooks'] as const;
type Fault = (typeof FAULTS)[number];

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '4' },
    before: { type: 'string', default: '5' },
    after: { type: 'string', default: '10' },
    outage: { type: 'string', default: '10' },
    'slack-503': { type: 'string', default: '30' },
    'slack-429': { type: 'string', default: '30' },
    'retry-after': { type: 'string', default: '3' },
    hang: { type: 'string', default: '5' },
    webhooks: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '200' },
    services: { type: 'string', default: '10' },
    drain: { type: 'string', default: '180' },
    settle: { type: 'string', default: '90' },
    only: { type: 'string', default: FAULTS.join(',') },
    'keep-logs': { type: 'boolean', default: false },
  },
});
const number = (name: keyof typeof values) => numberOption(values, name);
const options = {
  rate: number('rate'),
  beforeMs: number('before') * 1000,
  afterMs: number('after') * 1000,
  outageMs: number('outage') * 1000,
  slack503Ms: number('slack-503') * 1000,
  slack429Ms: number('slack-429') * 1000,
  retryAfter: number('retry-after'),
  hangSeconds: number('hang'),
  webhooks: number('webhooks'),
  concurrency: number('concurrency'),
  services: number('services'),
  drainMs: number('drain') * 1000,
  settleMs: number('settle') * 1000,
  only: new Set(String(values.only).split(',') as Fault[]),
};

/** What a fault did: when it was over (recovery is counted from there), extra requests, and notes. */
interface Injected {
  endedAt: number;
  extra?: SentRequest[];
  notes?: string[];
}

const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

/** Runs `inject` under the steady load, then counts what became of every request of the phase. */
async function underLoad(
  cluster: OpsbotCluster,
  name: string,
  inject: () => Promise<Injected>,
  explain?: (found: RequestOutcome[], injected: Injected) => string[],
): Promise<FaultRow> {
  log(`${name}: load at ${options.rate}/s`);
  const load = new SteadyLoad(cluster.webUrl, cluster.slack, options.rate);
  load.start();
  await sleep(options.beforeMs);
  const injected = await inject();
  log(`${name}: fault over; load goes on for ${options.afterMs / 1000} s`);
  await sleep(Math.max(0, injected.endedAt + options.afterMs - Date.now()));
  const sent = [...(await load.stop()), ...(injected.extra ?? [])];
  log(`${name}: ${sent.length} requests sent; waiting for them to settle`);
  const found = await settle(
    sent,
    (requests) => outcomes(requests, cluster.db, cluster.bentham, cluster.slack),
    options.settleMs,
  );
  const notes = [...(injected.notes ?? []), ...(explain?.(found, injected) ?? [])];
  return faultRow(name, found, injected.endedAt, notes);
}

/** Polls until `check` is true; false if `timeoutMs` passed first. */
async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await sleep(100);
  }
  return false;
}

/** Each worker runs this many actions at once (QUEUES['ops-actions'].concurrency). */
const SLOTS = QUEUES[ACTIONS_QUEUE].concurrency;

/**
 * Requests `actions` (hangs, as many as the workers have slots) and waits until they are all running: then
 * every worker is mid-action on its share of them, whichever it is. Returns the requests, and a note when
 * they were not all running within 20 s.
 */
async function fillSlots(
  cluster: OpsbotCluster,
  actions: string[],
): Promise<{ requests: SentRequest[]; notes: string[] }> {
  const requests = actions.map((action) => sendRequest(cluster.webUrl, cluster.slack, action));
  const running = await waitFor(async () => {
    const { rows } = await cluster.db.query(
      "SELECT count(*)::int AS n FROM action_runs WHERE params->>'study' = ANY($1) AND state = 'running'",
      [requests.map((r) => r.study)],
    );
    return rows[0].n === requests.length;
  }, 20_000);
  return { requests, notes: running ? [] : ['the hang runs were not all running at once before the fault'] };
}

/**
 * kill -9 of worker A while every slot of both workers runs a hang action (half of them idempotent), so A
 * dies mid-action on its four; B settles them, and the steady load waits for B's slots meanwhile.
 */
async function killMidAction(cluster: OpsbotCluster): Promise<Injected> {
  const half = (cluster.workers.size * SLOTS) / 2;
  const actions = [...Array(half).fill('hang'), ...Array(half).fill('hang-idempotent')] as string[];
  const { requests, notes } = await fillSlots(cluster, actions);
  await sleep(Math.min(1_000, (options.hangSeconds * 1000) / 3));
  const killedAt = Date.now();
  const exit = await cluster.endWorker('A', 'SIGKILL');
  log(`kill -9: worker A ended (${exit}) mid-action`);
  return { endedAt: killedAt, extra: requests, notes };
}

/**
 * SIGTERM of worker B while every slot of both workers runs a hang action (not idempotent): B should finish
 * its four within the shutdown grace and exit 0, leaving what is queued to A. A new B is started after.
 */
async function terminate(cluster: OpsbotCluster): Promise<Injected> {
  const { requests, notes } = await fillSlots(cluster, Array(cluster.workers.size * SLOTS).fill('hang'));
  await sleep(Math.min(1_000, (options.hangSeconds * 1000) / 3));
  const t0 = Date.now();
  const code = await cluster.endWorker('B', 'SIGTERM');
  const endedAt = Date.now();
  log(`SIGTERM: worker B exited ${code} after ${endedAt - t0} ms; starting another`);
  await cluster.startWorker('B');
  const took = ((endedAt - t0) / 1000).toFixed(1);
  return {
    endedAt,
    extra: requests,
    notes: [
      ...notes,
      `the worker, mid-way through ${SLOTS} ${options.hangSeconds} s actions, exited with ${code} ${took} s after SIGTERM`,
    ],
  };
}

/** The hang runs' own line: how each kind ended, and when the last was done with after the kill. */
function explainKill(found: RequestOutcome[], injected: Injected): string[] {
  const hangs = found.filter((o) => o.request.action.startsWith('hang'));
  const describe = (action: string) => {
    const counts = new Map<string, number>();
    for (const o of hangs.filter((h) => h.request.action === action)) {
      const key = `${o.state ?? 'no run'} with ${o.executions} execution${o.executions === 1 ? '' : 's'}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].map(([key, n]) => `${n} ${key}`).join(', ');
  };
  const settled = hangs.every((o) => o.settledAt !== undefined);
  const last = Math.max(...hangs.map((o) => o.settledAt ?? Number.NaN)) - injected.endedAt;
  return [
    `hang runs (those on A killed mid-action): hang (not idempotent) → ${describe('hang')}; hang-idempotent → ${describe('hang-idempotent')}`,
    settled
      ? `the hang runs were all settled (outcome posted) ${(last / 1000).toFixed(1)} s after the kill (bound: 30 s)`
      : 'the hang runs were not all settled within the wait',
  ];
}

async function main(): Promise<void> {
  const started = Date.now();
  const cpus = os.cpus();
  // Other processes share the cores: the load average says how busy the machine was around the bench.
  const loadBefore = os.loadavg();
  log('starting PostgreSQL, Redis, the fake Slack, opsbot web and two workers');
  const cluster = await OpsbotCluster.start({ services: options.services, hangSeconds: options.hangSeconds });
  const rows: FaultRow[] = [];
  let burst: BurstResult | undefined;
  let failed = false;
  try {
    await cluster.startWorker('A');
    await cluster.startWorker('B');
    if (options.only.has('kill')) {
      rows.push(
        await underLoad(cluster, 'kill -9 of a worker mid-action', () => killMidAction(cluster), explainKill),
      );
      await cluster.startWorker('A');
    }
    if (options.only.has('term')) {
      rows.push(await underLoad(cluster, 'SIGTERM of a worker', () => terminate(cluster)));
    }
    if (options.only.has('redis')) {
      rows.push(
        await underLoad(cluster, `Redis restart (down ${options.outageMs / 1000} s, keys lost)`, async () => {
          await cluster.redis.down();
          await sleep(options.outageMs);
          await cluster.redis.up();
          return { endedAt: Date.now() };
        }),
      );
    }
    if (options.only.has('postgres')) {
      rows.push(
        await underLoad(cluster, `PostgreSQL restart (down ${options.outageMs / 1000} s)`, async () => {
          await cluster.postgres.down();
          await sleep(options.outageMs);
          await cluster.postgres.up();
          return { endedAt: Date.now() };
        }),
      );
    }
    if (options.only.has('slack')) {
      const name = `Slack 503 for ${options.slack503Ms / 1000} s, then 429 (Retry-After ${options.retryAfter}) for ${options.slack429Ms / 1000} s`;
      rows.push(
        await underLoad(cluster, name, async () => {
          cluster.slack.down = { status: 503 };
          await sleep(options.slack503Ms);
          cluster.slack.down = { status: 429, retryAfter: options.retryAfter };
          await sleep(options.slack429Ms);
          cluster.slack.down = undefined;
          return { endedAt: Date.now() };
        }),
      );
    }
    if (options.only.has('webhooks')) {
      log(`webhooks: ${options.webhooks} deliveries, ${options.concurrency} in flight`);
      burst = await webhookBurst({
        port: Number(new URL(cluster.webUrl).port),
        db: cluster.db,
        slack: cluster.slack,
        total: options.webhooks,
        concurrency: options.concurrency,
        services: options.services,
        drainMs: options.drainMs,
      });
    }
  } catch (error) {
    failed = true;
    console.error(error);
  } finally {
    await cluster.stop(values['keep-logs'] || failed);
    if (values['keep-logs'] || failed) console.error(`logs kept in ${cluster.dir}`);
  }
  console.log('## Machine\n');
  console.log(`- date: ${new Date().toISOString()}`);
  console.log(`- node ${process.version}, ${os.platform()} ${os.release()} ${os.arch()}`);
  console.log(`- os.cpus().length: ${cpus.length}, cpu model: ${cpus[0]?.model.trim() ?? 'unknown'}`);
  console.log(`- options: ${JSON.stringify({ ...options, only: [...options.only] })}`);
  console.log(`- whole bench: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const loads = (l: number[]) => l.map((n) => n.toFixed(1)).join(' ');
  console.log(
    `- load average (1, 5, 15 min) at the start: ${loads(loadBefore)}; at the end: ${loads(os.loadavg())}`,
  );
  printFaults(rows);
  if (burst) printWebhooks(burst);
  if (failed) process.exitCode = 1;
}

await main();
