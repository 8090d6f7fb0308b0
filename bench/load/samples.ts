import { readFile } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { OpsbotProcess } from '../../test/support/opsbot-process.js';
import type { Fleet } from '../../test/support/replica-fleet.js';
import { sleep } from '../stats.js';

/** Resident set size of a process in MB, from /proc (0 once it has gone). */
async function rssMb(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : 0;
}

/** Each opsbot process by name (web 1, worker 1, …). */
export function processesOf(fleet: Fleet): [string, OpsbotProcess][] {
  return [
    ...fleet.webProcesses.map((p, i) => [`web ${i + 1}`, p] as [string, OpsbotProcess]),
    ...fleet.workers.map((p, i) => [`worker ${i + 1}`, p] as [string, OpsbotProcess]),
  ];
}

export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

/** Bytes Redis holds under `prefix` (MEMORY USAGE of each key), and how many keys. */
export async function prefixMemory(redis: Redis, prefix: string): Promise<{ bytes: number; keys: number }> {
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

export interface Samples {
  ownConnections: number;
  targetConnections: number;
  redisUsed: number;
  rss: Map<string, number>;
}

/** Every 500 ms, the peak connections on opsbot's and Bentham's databases, Redis memory and each RSS. */
export function sampler(
  fleet: Fleet,
  admin: pg.Client,
  redis: Redis,
  names: { own: string; target: string },
) {
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
export function postRates(
  fleet: Fleet,
  since: number,
): { maxPerSecond: number; minGapMs: number; posts: number } {
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
export async function drain(fleet: Fleet, drainMs: number): Promise<{ ms: number; done: boolean }> {
  const t0 = Date.now();
  while (Date.now() - t0 < drainMs) {
    const { rows } = await fleet.db.query(
      `SELECT (SELECT count(*)::int FROM action_runs WHERE state IN ('queued', 'running')) AS runs,
              (SELECT count(*)::int FROM slack_outbox WHERE state = 'pending') AS posts`,
    );
    if (rows[0].runs === 0 && rows[0].posts === 0) return { ms: Date.now() - t0, done: true };
    await sleep(500);
  }
  return { ms: Date.now() - t0, done: false };
}
