import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job, Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ACTIONS_QUEUE } from '../../src/queue/queues.js';
import { blockText } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness, testConfigText } from '../support/harness.js';
import { type OpsbotProcess, spawnWorker } from '../support/opsbot-process.js';
import { slackRuns } from '../support/seed-runs.js';
import { slowCountAction } from '../support/slow-action.js';
import { TEST_REDIS_URL } from '../support/test-env.js';

/** Issue 18's bound: a run whose worker died is settled within 30 s of the death. */
const SETTLE_BOUND_MS = 30_000;

let h: Harness;
let dir: string;
let worker: OpsbotProcess | undefined;

beforeAll(async () => {
  const config = parse(testConfigText());
  Object.assign(config.services.bentham.actions, {
    // One not idempotent, one declared idempotent, and one longer than every lock and heartbeat bound.
    hang: slowCountAction(5),
    'hang-idempotent': slowCountAction(5, true),
    'hang-long': slowCountAction(18),
  });
  const text = stringify(config);
  h = await startHarness({ role: 'web' }, { configText: text });
  dir = await mkdtemp(join(tmpdir(), 'opsbot-worker-crash-'));
  await writeFile(join(dir, 'ops.yml'), text);
});
afterAll(async () => {
  worker?.child.kill('SIGKILL');
  await h?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function attempts(study: string): Promise<number> {
  const { rows } = await h.bentham.query(
    'SELECT sum(attempt_count)::int AS n FROM jobs WHERE study_id = $1',
    [study],
  );
  return rows[0].n as number;
}

async function run(runId: string): Promise<{ state: string; beats: number }> {
  const { rows } = await h.db.query(
    'SELECT state, extract(epoch FROM heartbeat_at - started_at)::float AS beats FROM action_runs WHERE id = $1',
    [runId],
  );
  return rows[0];
}

/** The last text the card at `ts` was edited to. */
function card(ts: string): string {
  const last = h.slack
    .of('chat.update')
    .filter((call) => call.ts === ts)
    .at(-1);
  return last ? blockText(last) : '';
}

describe('kill -9 of a worker mid-action', () => {
  it('is settled by the surviving worker within 30 s: interrupted if not idempotent, run again once if so; a long action elsewhere lives on', async () => {
    const runs = slackRuns(h);
    worker = await spawnWorker(dir, h.vars);
    const before = { abc: await attempts('study_abc123'), other: await attempts('study_other1') };
    const plain = await runs.request('hang bentham study_abc123');
    const idempotent = await runs.request('hang-idempotent bentham study_other1');
    await eventually(async () => {
      expect((await run(plain.runId)).state).toBe('running');
      expect((await run(idempotent.runId)).state).toBe('running');
    });
    await h.startAnother({ role: 'worker' });

    worker.child.kill('SIGKILL');
    const diedAt = Date.now();
    const withinBound = () => Math.max(0, diedAt + SETTLE_BOUND_MS - Date.now());
    // Only the surviving worker is left to take it: it must live past the lock and the heartbeat bounds.
    const long = await runs.request('hang-long bentham study_nojobs');

    await eventually(async () => {
      expect((await run(plain.runId)).state).toBe('interrupted');
      expect(card(plain.ts)).toMatch(/Interrupted: verify by hand/);
    }, withinBound());
    await eventually(async () => {
      expect((await run(idempotent.runId)).state).toBe('succeeded');
      expect(card(idempotent.ts)).toMatch(/succeeded/i);
    }, withinBound());
    // The killed statements never committed: the plain one never ran again, the idempotent one ran once more.
    expect(await attempts('study_abc123')).toBe(before.abc);
    expect(await attempts('study_other1')).toBe(before.other + 1);

    const ended = await eventually(async () => {
      const found = await run(long.runId);
      expect(found.state).not.toBe('running');
      return found;
    }, 30_000);
    expect(ended.state).toBe('succeeded');
    // Its heartbeat was renewed past the stale bound, and its lock too: BullMQ never handed its job on.
    expect(ended.beats).toBeGreaterThan(10);
    const queue = new Queue(ACTIONS_QUEUE, {
      connection: { url: TEST_REDIS_URL },
      prefix: h.vars.OPSBOT_QUEUE_PREFIX,
    });
    try {
      expect((await Job.fromId(queue, long.runId))?.stalledCounter).toBe(0);
    } finally {
      await queue.close();
    }
  }, 90_000);

  it('is settled by the sweeper when Redis no longer has the job: a minute without a heartbeat gives the run its job again', async () => {
    await h.startAnother({ role: 'worker' });
    const runs = slackRuns(h);
    const { runId, ts } = await runs.request('touch bentham study_abc123');
    // What a worker that died while Redis lost its job (a restart without persistence) leaves behind.
    await h.db.query(
      "UPDATE action_runs SET state = 'running', started_at = now() - interval '2 minutes', heartbeat_at = now() - interval '2 minutes' WHERE id = $1",
      [runId],
    );
    await eventually(async () => {
      expect((await run(runId)).state).toBe('interrupted');
      expect(card(ts)).toMatch(/Interrupted: verify by hand/);
    });
  });
});
