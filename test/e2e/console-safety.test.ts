import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/errors.js';
import { handle, InFlight } from '../../src/handlers/handle.js';
import { createLogger, redactUrl } from '../../src/log.js';
import { ACTIONS_QUEUE } from '../../src/queue/queues.js';
import { consoleTranscript } from '../support/console.js';
import { createTestDatabase, eventually } from '../support/databases.js';
import { startHarness } from '../support/harness.js';
import { quietMetrics } from '../support/quiet-metrics.js';
import { deleteKeys } from '../support/redis-keys.js';
import { postSigned, slashBody } from '../support/signed-requests.js';
import { queuePrefix, TEST_DATABASE_URL, TEST_REDIS_URL, testDatabaseUrl } from '../support/test-env.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/bentham.ops.yml', import.meta.url));
const NO_TOKEN =
  'SLACK_BOT_TOKEN is not set: create the Slack app from manifest.yml (see README.md), or run ' +
  '`opsbot console` to try your ops.yml without Slack.';
const log = createLogger('silent');

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Runs `opsbot start ARGS` in `cwd` with stdin a pipe fed `lines`, as pm2 or `docker -i` would give it. */
async function startPiped(cwd: string, args: string[], env: Record<string, string>, lines: string[]) {
  const { SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, OPSBOT_CONFIG, LOG_LEVEL, ...inherited } =
    process.env;
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'src/cli.ts'), 'start', ...args], {
    cwd,
    env: { ...inherited, REDIS_URL: TEST_REDIS_URL, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  child.stdin.on('error', () => undefined); // it may exit before reading
  child.stdin.end(lines.map((line) => `${line}\n`).join(''));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}

describe('opsbot start without a Slack token, stdin a pipe', () => {
  const cases: [string, { opsYml: boolean; args: string[]; env: Record<string, string> }][] = [
    ['with ./ops.yml', { opsYml: true, args: [], env: {} }],
    ['with OPSBOT_CONFIG', { opsYml: false, args: [], env: { OPSBOT_CONFIG: EXAMPLE } }],
    ['with --role worker and no config', { opsYml: false, args: ['--role', 'worker'], env: {} }],
  ];
  it.each(cases)(
    '%s fails with the missing-token sentence and starts nothing',
    async (_, setup) => {
      const name = `opsbot_test_safety_${randomBytes(5).toString('hex')}`;
      const prefix = queuePrefix('opsbot_safety');
      const cwd = await mkdtemp(join(tmpdir(), 'opsbot-safety-'));
      cleanups.push(() => rm(cwd, { recursive: true, force: true }));
      if (setup.opsYml) await copyFile(EXAMPLE, join(cwd, 'ops.yml'));
      const env = {
        // A database that does not exist: the demo would create it, opsbot would fail on it.
        DATABASE_URL: testDatabaseUrl(name),
        OPSBOT_QUEUE_PREFIX: prefix,
        BENTHAM_DATABASE_URL: 'postgres://opsbot:Pa55word@127.0.0.1:5432/bentham',
        BENTHAM_URL: 'https://api.bentham.example',
        BENTHAM_REDIS_URL: 'redis://127.0.0.1:6379',
        ...setup.env,
      };
      const { code, stdout, stderr } = await startPiped(cwd, setup.args, env, ['help', '/quit']);
      expect(code, stderr).toBe(1);
      expect(stderr.trim()).toBe(NO_TOKEN);
      expect(stdout).toBe('');

      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      await admin.end();
      expect(rows).toEqual([]);
      const redis = new Redis(TEST_REDIS_URL);
      const keys = await redis.keys(`${prefix}:*`);
      redis.disconnect();
      expect(keys).toEqual([]);
    },
    60_000,
  );
});

describe('opsbot console beside a running opsbot', () => {
  it('refuses on the running opsbot’s queue prefix, and works on a prefix of its own', async () => {
    const shared = queuePrefix('opsbot_safety');
    const own = queuePrefix('opsbot_safety');
    const h = await startHarness({}, { env: { OPSBOT_QUEUE_PREFIX: shared } });
    const consoleDb = await createTestDatabase('opsbot_test');
    cleanups.push(async () => {
      await h.close();
      await consoleDb.drop();
      await deleteKeys(shared);
      await deleteKeys(own);
    });
    // BullMQ names the worker's connection once it is connected: wait until Redis lists it.
    const probe = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue(ACTIONS_QUEUE, { connection: probe, prefix: shared });
    await eventually(async () => expect(await queue.getWorkersCount()).toBeGreaterThan(0));
    await queue.close();
    probe.disconnect();

    const setup = { databaseUrl: consoleDb.url, benthamUrl: h.benthamUrl, log };
    const refused = consoleTranscript({ ...setup, queuePrefix: shared }, ['help', '/quit']);
    await expect(refused).rejects.toBeInstanceOf(ConflictError);
    await expect(refused).rejects.toThrow(
      `Another opsbot is running on ${redactUrl(TEST_REDIS_URL)} with queue prefix ${shared}, and the console ` +
        'would take its jobs and print its Slack messages here instead of sending them: give the console its ' +
        'own OPSBOT_QUEUE_PREFIX and DATABASE_URL.',
    );

    const out = await consoleTranscript({ ...setup, queuePrefix: own }, ['help', '/quit']);
    expect(out).toContain('opsbot console: you are');
    expect(out).toContain('(only visible to you)');
  }, 60_000);

  it('counts a Slack handler as in flight until it has answered', async () => {
    const h = await startHarness();
    cleanups.push(() => h.close());
    expect(h.opsbot.inFlight()).toBe(0);
    // The answer to `/ops help` goes to the response_url; a slow one keeps the handler at work after the ack.
    h.slack.answerDelayMs = 1_000;
    const acked = await postSigned(
      h.url(),
      slashBody('help', 'U0ALICE', { responseUrl: h.slack.responseUrl('help') }),
    );
    expect(acked.status).toBe(200);
    expect(h.opsbot.inFlight()).toBe(1);
    await eventually(() => expect(h.opsbot.inFlight()).toBe(0));
    expect(h.slack.calls.map((call) => call.method)).toContain('respond/help');
  }, 60_000);
});

describe('handle() and its in-flight count', () => {
  // Real metrics; their sources are never collected here.
  const metrics = quietMetrics();

  it('counts an execution up while it runs and down when it returns or throws', async () => {
    const inFlight = new InFlight();
    const deps = { log, metrics, inFlight };
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const replies: string[] = [];
    const reply = async (text: string) => {
      replies.push(text);
    };
    const ok = handle(deps, 'ok', {}, reply, () => held);
    const failing = handle(deps, 'failing', {}, reply, async () => {
      await held;
      throw new Error('boom');
    });
    expect(inFlight.count()).toBe(2);
    release();
    await Promise.all([ok, failing]);
    expect(inFlight.count()).toBe(0);
    expect(replies).toEqual([expect.stringMatching(/^Something went wrong inside opsbot\. \(error id /)]);
  });

  it('counts the error reply too: a slow one keeps the execution in flight', async () => {
    const inFlight = new InFlight();
    let sent: () => void = () => undefined;
    const reply = () =>
      new Promise<void>((resolve) => {
        sent = resolve;
      });
    const done = handle({ log, metrics, inFlight }, 'refused', {}, reply, async () => {
      throw new ConflictError('Already confirmed.');
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(inFlight.count()).toBe(1);
    sent();
    await done;
    expect(inFlight.count()).toBe(0);
  });
});
