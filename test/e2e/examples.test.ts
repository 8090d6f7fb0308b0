import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { parseOpsConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { startOpsbot } from '../../src/opsbot.js';
import { createBenthamJobs } from '../support/bentham-fixture.js';
import { createTestDatabase, eventually } from '../support/databases.js';
import { exampleVars } from '../support/example-vars.js';
import { FakeSlack } from '../support/fake-slack.js';
import { deleteKeys } from '../support/redis-keys.js';
import { queuePrefix, testVars } from '../support/test-env.js';

const execute = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLES = ['bentham', 'benchcode', 'abrm', 'ai-benchmark', 'redmine-rag'] as const;

/** The service admin APIs of the examples, faked: records each request and answers like the real ones. */
const received: { method: string; path: string; auth: string | undefined; body: unknown }[] = [];
let api: Server;
let slack: FakeSlack;
let own: Awaited<ReturnType<typeof createTestDatabase>>;
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let fixture: pg.Pool;
let vars: Record<string, string>;

beforeAll(async () => {
  api = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        auth: req.headers.authorization,
        body: text ? JSON.parse(text) : undefined,
      });
      res.writeHead(req.url?.includes('sync') ? 202 : 200, {
        'content-type': 'application/json',
      });
      res.end(JSON.stringify({ job_id: 'sync_42', status: 'queued' }));
    });
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(api.address() as AddressInfo).port}`;
  slack = await new FakeSlack().start();
  own = await createTestDatabase('opsbot_examples');
  target = await createTestDatabase('examples_target');
  fixture = await createBenthamJobs(target.url);
  vars = exampleVars(host, target.url, () => `http://${host}`);
});

afterAll(async () => {
  await fixture?.end();
  await slack?.stop();
  await new Promise((resolve) => api?.close(resolve));
  await own?.drop();
  await target?.drop();
});

/** opsbot started on one example config against the fixtures, with its own queue prefix; stop() cleans up. */
async function startExample(name: string) {
  const prefix = queuePrefix('opsbot_examples');
  const env = readEnv(testVars(slack, own.url, prefix));
  const config = parseOpsConfig(readFileSync(`${ROOT}/examples/${name}.ops.yml`, 'utf8'), vars);
  const bot = await startOpsbot(env, config, createLogger('silent'), {
    role: 'all',
    sweepEveryMs: 200,
    slackOutbox: { postSpacingMs: 20 },
  });
  const db = new pg.Pool({ connectionString: own.url, max: 1 });
  return {
    bot,
    db,
    async stop() {
      await db.end();
      await bot.stop();
      await deleteKeys(prefix);
    },
  };
}

describe('the example configs', () => {
  it.each(EXAMPLES)('%s.ops.yml passes opsbot config check', async (name) => {
    const { stdout } = await execute(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'config', 'check'], {
      cwd: ROOT,
      env: { ...process.env, ...vars, OPSBOT_CONFIG: `examples/${name}.ops.yml` },
    });
    expect(stdout).toMatch(
      new RegExp(`examples/${name}\\.ops\\.yml is valid: \\d+ services, \\d+ actions\\.`),
    );
  });

  /**
   * One action of each example, and the effect it must have had on that system's fixture. ABRM's actions run
   * artisan in its Kubernetes pods: test/e2e/seed-abrm.test.ts runs each of them against its fixture system;
   * AI Benchmark's run docker-compose commands: test/e2e/seed-ai-benchmark.test.ts runs each of them.
   * BenchCode's run artisan and df in its Kubernetes pods (and its degraded mode has no API in its runbook):
   * test/e2e/seed-benchcode.test.ts runs each of them; test/e2e/seed-redmine-rag.test.ts runs Redmine RAG's.
   */
  const ACTIONS: [(typeof EXAMPLES)[number], string, Record<string, string>, () => Promise<void>][] = [
    [
      'bentham',
      'retry',
      { study: 'study_abc123' },
      async () => {
        const { rows } = await fixture.query(
          "SELECT DISTINCT status FROM jobs WHERE study_id = 'study_abc123'",
        );
        expect(rows.map((r) => r.status).sort()).toEqual(['completed', 'pending']);
      },
    ],
    [
      'redmine-rag',
      'sync',
      {},
      async () => {
        expect(received.find((r) => r.path === '/v1/sync/redmine')).toEqual({
          method: 'POST',
          path: '/v1/sync/redmine',
          auth: undefined,
          body: {},
        });
      },
    ],
  ];

  it.each(ACTIONS)('%s: runs its %s action against its fixtures', async (name, action, params, effect) => {
    const { bot, db, stop } = await startExample(name);
    try {
      const run = await bot.runs.request({
        actor: 'U0ALICE',
        channel: 'C0OPS',
        service: name,
        action,
        params,
      });
      if (run.state === 'awaiting_confirmation') await bot.runs.confirm('U0ALICE', run.id);
      await eventually(async () => {
        const { rows } = await db.query('SELECT state, error FROM action_runs WHERE id = $1', [run.id]);
        expect(rows[0]).toEqual({ state: 'succeeded', error: null });
      });
      await effect();
    } finally {
      await stop();
    }
  });
});
