import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeKey } from '../../src/backup/crypto.js';
import { exportArtifact } from '../../src/backup/export.js';
import { readEnv } from '../../src/config/env.js';
import { runDemo } from '../../src/demo/run-demo.js';
import { seedDemo } from '../../src/demo/seed.js';
import { UserError } from '../../src/errors.js';
import { createLogger, redactUrl } from '../../src/log.js';
import { collectInto } from '../support/collect.js';
import { replyTo } from '../support/console.js';
import { createTestDatabase } from '../support/databases.js';
import { deleteKeys } from '../support/redis-keys.js';
import { queuePrefix, TEST_DATABASE_URL, TEST_REDIS_URL, testDatabaseUrl } from '../support/test-env.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/**
 * The CLI (`tsx src/cli.ts ARGS`) as a newcomer runs it in `cwd`: without Slack's variables, OPSBOT_CONFIG or
 * LOG_LEVEL, killed after the tests whatever happens. `until` waits for stdout to match, and fails with
 * stderr when the CLI exits first.
 */
function spawnCli(cwd: string, env: Record<string, string>, stdin: 'pipe' | 'ignore', args = ['start']) {
  const { SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN, OPSBOT_CONFIG, LOG_LEVEL, ...inherited } =
    process.env;
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'src/cli.ts'), ...args], {
    cwd,
    env: { ...inherited, REDIS_URL: TEST_REDIS_URL, ...env },
    stdio: [stdin, 'pipe', 'pipe'],
  });
  cleanups.push(async () => child.kill());
  let out = '';
  let err = '';
  let closed = false;
  const waiters: (() => void)[] = [];
  const wake = () => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    wake();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  // 'close' comes after stdout and stderr have ended: nothing printed is missed.
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      closed = true;
      wake();
      resolve(code);
    }),
  );
  return {
    stdin: child.stdin,
    exited,
    get out() {
      return out;
    },
    get err() {
      return err;
    },
    async until(pattern: RegExp): Promise<RegExpExecArray> {
      for (;;) {
        const found = pattern.exec(out);
        if (found) return found;
        if (closed) throw new Error(`the CLI exited before printing ${pattern}; stderr: ${err}`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

/** A stream that keeps what is written to it, for the demo's output and its logs. */
function buffer() {
  const chunks: string[] = [];
  const stream = collectInto(chunks);
  return { stream, text: () => chunks.join('') };
}

describe('the demo, as a newcomer meets it', () => {
  it('npm start without a Slack token or an ops.yml opens the seeded demo console: retry, then an incident', async () => {
    // A database that does not exist yet, as on a fresh PostgreSQL; a directory with no ops.yml.
    const name = `opsbot_test_demo_${randomBytes(5).toString('hex')}`;
    const databaseUrl = testDatabaseUrl(name);
    const prefix = queuePrefix('opsbot_demo');
    const cwd = await mkdtemp(join(tmpdir(), 'opsbot-demo-'));
    cleanups.push(async () => {
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
      await deleteKeys(prefix);
      await rm(cwd, { recursive: true, force: true });
    });
    const cli = spawnCli(cwd, { DATABASE_URL: databaseUrl, OPSBOT_QUEUE_PREFIX: prefix }, 'pipe');
    const type = (...lines: string[]) => cli.stdin?.write(lines.map((line) => `${line}\n`).join(''));

    type('help', 'status bentham', 'retry bentham study_abc123', '1', 'incident declare SEV3 Jobs failing');
    // The channel's name is only known once declared: read it, as a person would.
    const [, channel] = await cli.until(/Declared inc_\w+ \(SEV3\): (#inc-\d{8}-jobs-failing)\./);
    type(
      `/channel ${channel}`,
      'note Retried study_abc123; watching the queue',
      'timeline',
      'incident resolve Jobs retried',
      '/quit',
    );
    cli.stdin?.end();
    expect(await cli.exited, cli.err).toBe(0);

    const printed = cli.out;
    expect(cli.err).toContain('SLACK_BOT_TOKEN is not set');
    expect(cli.err).toContain('runs the demo');
    expect(printed).toContain(`Created the database ${redactUrl(databaseUrl)}.`);
    expect(printed).toContain('you are U0ALICE in C0OPS');
    const help = replyTo(printed, 'help');
    for (const action of ['retry', 'revoke-key', 'cancel-jobs', 'degraded', 'backup']) {
      expect(help).toContain(`/ops ${action} bentham`);
    }
    // The fake API and the demo schema answer every check.
    const status = replyTo(printed, 'status bentham');
    expect(status).toContain('*bentham* ✅ healthy');
    for (const check of ['liveness', 'api', 'p95-latency', 'queue-depth'])
      expect(status).toContain(`✅ ${check}`);
    const plan = replyTo(printed, 'retry bentham study_abc123');
    expect(plan).toContain('3 rows would be affected');
    expect(plan).toContain('[1] Confirm  [2] Cancel');
    expect(replyTo(printed, '1')).toContain('✅ Succeeded');
    expect(replyTo(printed, 'timeline')).toContain('Retried study_abc123; watching the queue');
    expect(replyTo(printed, 'incident resolve Jobs retried')).toMatch(/resolved/i);

    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const jobs = await db.query(
        "SELECT status, count(*)::int AS n FROM demo.jobs WHERE study_id = 'study_abc123' GROUP BY status ORDER BY status",
      );
      expect(jobs.rows).toEqual([
        { status: 'completed', n: 1 },
        { status: 'pending', n: 3 },
      ]);
      const runs = await db.query('SELECT action, state, requested_by FROM action_runs');
      expect(runs.rows).toEqual([{ action: 'retry', state: 'succeeded', requested_by: 'U0ALICE' }]);
      const incident = await db.query('SELECT id, severity, status, channel_name FROM incidents');
      expect(incident.rows).toEqual([
        { id: expect.any(String), severity: 'SEV3', status: 'resolved', channel_name: channel?.slice(1) },
      ]);
      const events = await db.query(
        'SELECT kind, text FROM incident_events WHERE incident_id = $1 ORDER BY id',
        [incident.rows[0].id],
      );
      expect(events.rows.map((e) => e.kind)).toEqual(
        expect.arrayContaining(['declared', 'note', 'resolved']),
      );
      expect(events.rows.find((e) => e.kind === 'note')?.text).toBe(
        'Retried study_abc123; watching the queue',
      );
    } finally {
      await db.end();
    }
  }, 120_000);

  it('start without a Slack token and with nobody to type (stdin is /dev/null) fails as before, creating nothing', async () => {
    const name = `opsbot_test_demo_${randomBytes(5).toString('hex')}`;
    const cwd = await mkdtemp(join(tmpdir(), 'opsbot-demo-'));
    cleanups.push(() => rm(cwd, { recursive: true, force: true }));
    const cli = spawnCli(cwd, { DATABASE_URL: testDatabaseUrl(name) }, 'ignore');
    expect(await cli.exited).toBe(1);
    expect(cli.err).toContain('SLACK_BOT_TOKEN is not set: create the Slack app from manifest.yml');
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    await admin.end();
    expect(rows).toEqual([]);
  }, 60_000);

  it('says in one sentence, without the password, when PostgreSQL cannot be reached', async () => {
    // A port nothing listens on: connecting is refused at once.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const url = `postgres://postgres:hunter2secret@127.0.0.1:${port}/opsbot`;
    const output = buffer();
    const logs = buffer();
    const run = runDemo(readEnv({ DATABASE_URL: url }), createLogger('trace', logs.stream), {
      input: Readable.from([]),
      output: output.stream,
    });
    await expect(run).rejects.toThrow(
      `PostgreSQL at postgres://postgres:redacted@127.0.0.1:${port}/opsbot is not usable: connect ECONNREFUSED`,
    );
    await expect(run).rejects.not.toThrow('hunter2secret');
    expect(output.text()).not.toContain('hunter2secret');
    expect(logs.text()).not.toContain('hunter2secret');
  });

  it('neither uses nor drops a "demo" schema that opsbot did not create', async () => {
    const own = await createTestDatabase('opsbot_test_demo');
    const cwd = await mkdtemp(join(tmpdir(), 'opsbot-demo-'));
    const db = new pg.Pool({ connectionString: own.url, max: 1 });
    cleanups.push(async () => {
      await db.end();
      await own.drop();
      await rm(cwd, { recursive: true, force: true });
    });
    await db.query(
      'CREATE SCHEMA demo; CREATE TABLE demo.ledger (id int); INSERT INTO demo.ledger VALUES (42)',
    );
    const refusal =
      'This database already has a "demo" schema that opsbot did not create, so the demo leaves it alone';

    const cli = spawnCli(cwd, { DATABASE_URL: own.url }, 'pipe', ['demo']);
    cli.stdin?.end('/quit\n');
    expect(await cli.exited).toBe(1);
    expect(cli.err).toContain(`${refusal}: point DATABASE_URL at another database.`);
    expect(cli.err).not.toMatch(/\n\s+at /);
    await expect(seedDemo(db, true)).rejects.toThrow(refusal);

    const tables = await db.query("SELECT tablename FROM pg_tables WHERE schemaname = 'demo'");
    expect(tables.rows).toEqual([{ tablename: 'ledger' }]);
    expect((await db.query('SELECT id FROM demo.ledger')).rows).toEqual([{ id: 42 }]);
  }, 60_000);

  it('says in one sentence when the directory for its backup key cannot be made', async () => {
    const own = await createTestDatabase('opsbot_test_demo');
    const parent = await mkdtemp(join(tmpdir(), 'opsbot-demo-'));
    cleanups.push(async () => {
      await own.drop();
      await rm(parent, { recursive: true, force: true });
    });
    // A regular file where a directory would have to be: even root cannot make the directory.
    await writeFile(join(parent, 'file'), '');
    const directory = join(parent, 'file', '.opsbot-demo');
    const env = readEnv({ DATABASE_URL: own.url, REDIS_URL: TEST_REDIS_URL });
    const run = runDemo(env, createLogger('silent'), {
      input: Readable.from(['/quit\n']),
      output: buffer().stream,
      directory,
    });
    await expect(run).rejects.toThrow(UserError);
    await expect(run).rejects.toThrow(`The demo cannot keep its backup key in ${directory} (ENOTDIR: `);
    await expect(run).rejects.toThrow(/\): run it from a directory you can write to\.$/);
  }, 60_000);

  it('revoke-key, degraded mode, backup and a high-risk run with a second approver work on the demo data', async () => {
    const own = await createTestDatabase('opsbot_test_demo');
    const prefix = queuePrefix('opsbot_demo');
    const directory = await mkdtemp(join(tmpdir(), 'opsbot-demo-'));
    const db = new pg.Pool({ connectionString: own.url, max: 1 });
    cleanups.push(async () => {
      await db.end();
      await own.drop();
      await deleteKeys(prefix);
      await rm(directory, { recursive: true, force: true });
    });
    // An empty key file, as a write cut short leaves it, counts as none.
    await writeFile(join(directory, 'backup.key'), '');
    const printed: string[] = [];
    const lines = [
      'show bentham keys',
      'revoke-key bentham key_leaked3',
      '1',
      'degraded bentham on llama3.2',
      '1',
      'status bentham',
      'backup bentham',
      'cancel-jobs bentham study_def456',
      '1',
      '/as U0BOB',
      '1',
      '/quit',
    ];
    const env = readEnv({ DATABASE_URL: own.url, REDIS_URL: TEST_REDIS_URL, OPSBOT_QUEUE_PREFIX: prefix });
    await runDemo(env, createLogger('silent'), {
      input: Readable.from(lines.map((line) => `${line}\n`)),
      output: collectInto(printed),
      directory,
    });
    const out = printed.join('');
    expect(out).toContain('"demo" schema of opsbot\'s database (just seeded;');
    expect(replyTo(out, 'show bentham keys')).toContain('key_leaked3');
    expect(replyTo(out, 'status bentham')).toContain('🔴 api — status is "degraded", expected "healthy"');
    expect(replyTo(out, 'status bentham')).toContain('Degraded mode: only llama3.2 served');

    const keys = await db.query('SELECT id FROM demo.api_keys WHERE revoked ORDER BY id');
    expect(keys.rows).toEqual([{ id: 'key_leaked3' }]);
    const settings = await db.query('SELECT degraded, allow_list FROM demo.settings');
    expect(settings.rows).toEqual([{ degraded: true, allow_list: 'llama3.2' }]);
    const cancelled = await db.query(
      "SELECT status FROM demo.jobs WHERE study_id = 'study_def456' ORDER BY id",
    );
    expect(cancelled.rows.map((row) => row.status)).toEqual(['cancelled', 'cancelled', 'completed']);
    const runs = await db.query('SELECT action, state, approved_by FROM action_runs ORDER BY created_at');
    expect(runs.rows).toEqual([
      { action: 'revoke-key', state: 'succeeded', approved_by: null },
      { action: 'degraded', state: 'succeeded', approved_by: null },
      { action: 'backup', state: 'succeeded', approved_by: null },
      { action: 'cancel-jobs', state: 'succeeded', approved_by: 'U0BOB' },
    ]);

    // The backup decrypts with the key the demo keeps beside it.
    const [artifact] = (await readdir(join(directory, 'backups'))).filter((file) => file.endsWith('.opsbak'));
    expect(artifact).toBeDefined();
    expect((await stat(join(directory, 'backup.key'))).mode & 0o777).toBe(0o600);
    const key = decodeKey((await readFile(join(directory, 'backup.key'), 'utf8')).trim());
    if (!key) throw new Error('the demo wrote no valid backup key');
    const manifest = await exportArtifact(
      join(directory, 'backups', artifact ?? ''),
      key,
      join(directory, 'out'),
    );
    expect(manifest.tables.map((table) => [table.name, table.rows])).toEqual([
      ['demo.studies', 3],
      ['demo.jobs', 9],
      ['demo.api_keys', 3],
    ]);

    // `opsbot demo seed` starts again from the seeded data.
    await seedDemo(db, true);
    expect((await db.query('SELECT count(*)::int AS n FROM demo.api_keys WHERE revoked')).rows).toEqual([
      { n: 0 },
    ]);
  }, 120_000);
});
