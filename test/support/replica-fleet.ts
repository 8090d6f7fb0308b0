import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import pg from 'pg';
import { ACTIONS_QUEUE, QUEUES, type QueueName } from '../../src/queue/queues.js';
import { createBenthamJobs } from './bentham-fixture.js';
import { createTestDatabase } from './databases.js';
import { FakeSlack } from './fake-slack.js';
import { type OpsbotProcess, portOf, spawnRole, stopOpsbot } from './opsbot-process.js';
import { PD_SECRET } from './pagerduty-webhooks.js';
import { deleteKeys } from './redis-keys.js';
import { queuePrefix, TEST_REDIS_URL, testVars } from './test-env.js';

/** How long a process may take to start: some 5 s, but far longer on a busy machine (the first compiles). */
const START_MS = 40_000;

/** opsbot as it is deployed: web and worker processes on one PostgreSQL and one Redis, a fake Slack. */
export interface Fleet {
  slack: FakeSlack;
  /** The `--role web` processes' base URLs, in the order they were started. */
  webs: string[];
  /** The `--role web` processes themselves, in the same order as `webs`. */
  webProcesses: OpsbotProcess[];
  workers: OpsbotProcess[];
  /** opsbot's database, and Bentham's (where the test actions count what they did). */
  db: pg.Pool;
  bentham: pg.Pool;
  /** The processes' BullMQ queue prefix. */
  prefix: string;
  /** Every queue but the actions queue: the jobs that post messages and schedule slots. */
  messageQueues(): Queue[];
  /** SIGTERM to every process still running; resolves when all have exited. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts `webs` `--role web` and `workers` `--role worker` opsbot processes (each one node process with the
 * tsx loader) on a fresh database, Bentham's fixture database, the tests' Redis under a queue prefix of their
 * own, and a fake Slack, all with the ops.yml `configText`.
 */
export async function startFleet(configText: string, webs: number, workers: number): Promise<Fleet> {
  // What has been set up so far, undone in reverse order by close() or when starting fails half-way.
  const undo: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const step of undo.reverse()) await step();
    undo.length = 0;
  };
  try {
    const slack = await new FakeSlack().start();
    undo.push(() => slack.stop());
    const own = await createTestDatabase('opsbot_replicas');
    undo.push(() => own.drop());
    const target = await createTestDatabase('bentham_replicas');
    undo.push(() => target.drop());
    const bentham = await createBenthamJobs(target.url);
    undo.push(() => bentham.end());
    const db = new pg.Pool({ connectionString: own.url, max: 2 });
    undo.push(() => db.end());
    const prefix = queuePrefix('opsbot_replicas');
    undo.push(() => deleteKeys(prefix));
    const dir = await mkdtemp(join(tmpdir(), 'opsbot-replicas-'));
    undo.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'ops.yml'), configText);
    const queues = (Object.keys(QUEUES) as QueueName[])
      .filter((name) => name !== ACTIONS_QUEUE)
      .map((name) => new Queue(name, { connection: { url: TEST_REDIS_URL }, prefix }));
    undo.push(() => Promise.all(queues.map((queue) => queue.close())));
    const vars = {
      ...testVars(slack, own.url, prefix),
      BENTHAM_DATABASE_URL: target.url,
      BENTHAM_URL: 'https://api.bentham.example',
      BENTHAM_REDIS_URL: TEST_REDIS_URL,
      PAGERDUTY_WEBHOOK_SECRET: PD_SECRET,
      OPSBOT_SHUTDOWN_GRACE: '5s',
    };
    const roles = [...Array<'web'>(webs).fill('web'), ...Array<'worker'>(workers).fill('worker')];
    // The first alone fills tsx's cache of compiled sources; the others then start at once from it.
    const [first, ...rest] = roles;
    const started = [...(await Promise.allSettled([spawnRole(first ?? 'web', dir, vars, START_MS)]))];
    if (started[0]?.status === 'fulfilled') {
      started.push(...(await Promise.allSettled(rest.map((role) => spawnRole(role, dir, vars, START_MS)))));
    }
    const processes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    undo.push(async () => {
      for (const p of processes) p.child.kill('SIGKILL');
      await Promise.all(processes.map((p) => p.exited));
    });
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    return {
      slack,
      webs: processes.slice(0, webs).map((p) => `http://127.0.0.1:${portOf(p)}`),
      webProcesses: processes.slice(0, webs),
      workers: processes.slice(webs),
      db,
      bentham,
      prefix,
      messageQueues: () => queues,
      async stop() {
        await Promise.all(processes.map((p) => stopOpsbot(p)));
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * SIGKILLs a worker at a moment it holds no Slack message and no message or slot job, only action runs: once
 * nothing is held it is stopped (SIGSTOP) and looked at again, and let go on (SIGCONT) if it took something in
 * between. Slack's Web API has no idempotency key, so a worker killed between Slack's answer and recording it
 * would post that message again once its claim runs out; that window is not what this kill tests.
 */
export async function killBetweenMessages(fleet: Fleet, worker: OpsbotProcess): Promise<void> {
  for (;;) {
    while (!(await holdsNoMessage(fleet))) await new Promise((resolve) => setTimeout(resolve, 20));
    worker.child.kill('SIGSTOP');
    if (await holdsNoMessage(fleet)) {
      worker.child.kill('SIGKILL');
      await worker.exited;
      return;
    }
    worker.child.kill('SIGCONT');
  }
}

async function holdsNoMessage(fleet: Fleet): Promise<boolean> {
  const { rows } = await fleet.db.query(
    "SELECT count(*)::int AS n FROM slack_outbox WHERE state = 'pending' AND lease_until > now()",
  );
  if (rows[0].n > 0) return false;
  for (const queue of fleet.messageQueues()) if ((await queue.getActiveCount()) > 0) return false;
  return true;
}
