import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness, testConfigText } from '../support/harness.js';
import { type PrivateRedisCluster, startPrivateRedisCluster } from '../support/private-redis-cluster.js';
import { slackRuns } from '../support/seed-runs.js';

// opsbot (web and worker in one process) on a Redis Cluster of this file's own (3 masters, a replica each), its
// nodes listed in REDIS_URL; the test kills the master holding opsbot's hash slot. PostgreSQL is the shared one.

/** One read a minute, so a second read is refused; a status update every 2 s, so incident slots come quickly. */
function configText(): string {
  const config = parse(testConfigText());
  config.workspace.reads_per_minute = 1;
  config.incidents.status_update_every = '2s';
  return stringify(config);
}

let cluster: PrivateRedisCluster;
let h: Harness;
/** The hash slot of the run's queue prefix ({opsbot_test_…}): every key of opsbot must be in it. */
let slot: number;

beforeAll(async () => {
  cluster = await startPrivateRedisCluster();
  h = await startHarness({}, { configText: configText(), env: { REDIS_URL: cluster.url } });
  slot = await cluster.slotOf(h.vars.OPSBOT_QUEUE_PREFIX as string);
}, 45_000);
afterAll(async () => {
  await h?.close();
  await cluster?.close();
});

/** The attempt counts of study_abc123's jobs: each run of `touch` adds one to every one of them. */
const attempts = async () => {
  const { rows } = await h.bentham.query(
    "SELECT attempt_count FROM jobs WHERE study_id = 'study_abc123' ORDER BY id",
  );
  return rows.map((row) => Number(row.attempt_count));
};

const statusUpdates = (channel: string) =>
  h.slack
    .of('chat.postMessage')
    .filter((m) => m.channel === channel && String(m.text).startsWith('Status update'));

/**
 * Every key in the cluster, read from each running node by SCAN: each must be in opsbot's hash slot, and only
 * the nodes serving that slot may hold any. A key of opsbot outside the slot (say a rate-limit counter without
 * the prefix's hash tag) lands on another slot, mostly another master, and fails this.
 */
async function expectKeysInOneSlot(): Promise<string[]> {
  const keys = await cluster.keys();
  const elsewhere = keys.filter((key) => key.slot !== slot).map(({ key, slot }) => `${key} (slot ${slot})`);
  expect(elsewhere, `keys outside slot ${slot}`).toEqual([]);
  const owners = await cluster.nodesOf(slot);
  expect(keys.filter(({ port }) => !owners.includes(port))).toEqual([]);
  return [...new Set(keys.map(({ key }) => key))];
}

describe('opsbot on a Redis Cluster', () => {
  it('keeps every key in its prefix hash slot: a run, a refused read, an incident slot', async () => {
    const runs = slackRuns(h);
    const before = await attempts();
    const { runId, ts } = await runs.request('touch bentham study_abc123');
    expect((await runs.confirm(runId, ts)).state).toBe('succeeded');
    expect(await attempts()).toEqual(before.map((count) => count + 1));

    // One read a minute: one of three in a row is refused (two, if the first was the last of a minute).
    const answers: string[] = [];
    for (let i = 0; i < 3 && !answers.some((a) => a.includes('read commands')); i += 1) {
      answers.push(await runs.reply('oncall'));
    }
    expect(answers.at(-1)).toMatch(/^You have run 1 read commands .* this minute; try again in/);

    const { channel } = await runs.declare('Executor restarts in a loop');
    await eventually(() => expect(statusUpdates(channel).length).toBeGreaterThan(0), 15_000);

    const prefix = h.vars.OPSBOT_QUEUE_PREFIX as string;
    const keys = await expectKeysInOneSlot();
    // The keys of the paths above are there to be checked: the actions and incident-slot queues, the read counter.
    for (const part of ['ops-actions', 'ops-incident-slots', 'reads']) {
      expect(
        keys.some((key) => key.startsWith(`${prefix}:${part}:`)),
        part,
      ).toBe(true);
    }
  });

  it('goes on when the master holding the slot is killed: a run requested meanwhile and one after both run once', async () => {
    const runs = slackRuns(h);
    const { channel } = await runs.declare('Orchestrator lost its leader');
    await eventually(() => expect(statusUpdates(channel).length).toBeGreaterThan(0), 15_000);
    const master = await cluster.masterOf(slot);
    const before = await attempts();

    await cluster.kill(master);
    // Requested and confirmed while the replica is taking over: queued now or by the run sweeper after it.
    const during = await runs.request('touch bentham study_abc123');
    const duringRun = runs.confirm(during.runId, during.ts);

    await cluster.failedOver(slot, master);
    expect((await duringRun).state).toBe('succeeded');
    const after = await runs.request('touch bentham study_abc123');
    expect((await runs.confirm(after.runId, after.ts)).state).toBe('succeeded');
    expect(await attempts()).toEqual(before.map((count) => count + 2));

    // The incident's slots go on through the new master.
    const updates = statusUpdates(channel).length;
    await eventually(() => expect(statusUpdates(channel).length).toBeGreaterThan(updates), 15_000);
    await expectKeysInOneSlot();
  });
});
