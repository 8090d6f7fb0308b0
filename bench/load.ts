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
import os from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startFleet } from '../test/support/replica-fleet.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../test/support/test-env.js';
import { machineCpu, machineCpuSince } from './cpu.js';
import { options } from './load/options.js';
import { pipeline } from './load/pipeline.js';
import { type LoadResult, report } from './load/report.js';
import { drain, postRates, prefixMemory, sampler, usedMemory } from './load/samples.js';
import { type Kind, loadConfigText, runLoad, STUDIES } from './load/traffic.js';

const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

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
    const drained = await drain(fleet, options.drainMs);
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
    const pipelineResult = await pipeline(fleet, url.toString());
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
