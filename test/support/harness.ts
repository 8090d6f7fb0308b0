import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { parse, stringify } from 'yaml';
import { readEnv } from '../../src/config/env.js';
import { parseOpsConfig } from '../../src/config/load.js';
import { createPool } from '../../src/db/pool.js';
import { createLogger } from '../../src/log.js';
import { type Opsbot, type StartOptions, startOpsbot } from '../../src/opsbot.js';
import { createBenthamJobs } from './bentham-fixture.js';
import { collectInto } from './collect.js';
import { createTestDatabase } from './databases.js';
import { FakeSlack } from './fake-slack.js';
import { deleteKeys } from './redis-keys.js';
import { queuePrefix, TEST_REDIS_URL, testVars } from './test-env.js';

export { BOT_TOKEN } from './test-env.js';

/** Everything an end-to-end test needs: opsbot over HTTP, its database, Bentham's database, a fake Slack. */
export interface Harness {
  slack: FakeSlack;
  opsbot: Opsbot;
  /** More opsbot processes on the same PostgreSQL and Redis. */
  startAnother(options?: Partial<StartOptions>): Promise<Opsbot>;
  url(bot?: Opsbot): string;
  db: pg.Pool;
  bentham: pg.Pool;
  benthamUrl: string;
  /** The environment opsbot was started with, for an opsbot process a test spawns beside it. */
  vars: Record<string, string>;
  logs: string[];
  close(): Promise<void>;
}

/** The Bentham example config with the test-only actions added. */
export function testConfigText(): string {
  const example = parse(readFileSync(new URL('../../examples/bentham.ops.yml', import.meta.url), 'utf8'));
  const extra = parse(readFileSync(new URL('../fixtures/extra-actions.yml', import.meta.url), 'utf8'));
  example.services.bentham.actions = { ...example.services.bentham.actions, ...extra };
  const lookups = parse(readFileSync(new URL('../fixtures/extra-lookups.yml', import.meta.url), 'utf8'));
  example.services.bentham.lookups = { ...example.services.bentham.lookups, ...lookups };
  // The example's health URL is not reachable from tests; the health-probe tests turn the probe on.
  example.workspace.health_probe_every = 'off';
  // An orchestrator deployment (the runbook names none) for the test-only restart-orchestrator, second as before.
  example.services.bentham.kubernetes.deployments.splice(1, 0, 'orchestrator');
  // The example's escalation and PagerDuty mapping are tested by seed-bentham.test.ts; tests that need
  // either set their own.
  example.incidents.escalation = [];
  delete example.pagerduty;
  return stringify(example);
}

/** Bentham's URL with a password in it (trust auth ignores it), so tests can check it is never shown. */
function withFakePassword(url: string): string {
  const parsed = new URL(url);
  if (!parsed.password) parsed.password = 's3cret-db-password';
  return parsed.toString();
}

/** Changes to the environment (undefined unsets), the Socket Mode URL the fake Slack hands out, the config. */
export interface HarnessSetup {
  env?: Record<string, string | undefined>;
  socketUrl?: string;
  /** ops.yml to start with instead of testConfigText(). */
  configText?: string;
  /** The PostgreSQL server opsbot's own database is created on (a private one a test stops), by its admin URL. */
  databaseServer?: string;
}

export async function startHarness(
  options: Partial<StartOptions> = {},
  setup: HarnessSetup = {},
): Promise<Harness> {
  const slack = await new FakeSlack().start();
  slack.socketUrl = setup.socketUrl ?? '';
  const own = await createTestDatabase('opsbot_test', setup.databaseServer);
  const target = await createTestDatabase('bentham_test');
  const bentham = await createBenthamJobs(target.url);
  const logs: string[] = [];
  const sink = collectInto(logs);
  const log = createLogger('debug', sink);
  const prefix = queuePrefix('opsbot_test');
  const vars = {
    ...testVars(slack, own.url, prefix),
    BENTHAM_DATABASE_URL: withFakePassword(target.url),
    BENTHAM_URL: 'https://api.bentham.example',
    BENTHAM_REDIS_URL: TEST_REDIS_URL,
    ...setup.env,
  };
  const env = readEnv(vars);
  const config = parseOpsConfig(setup.configText ?? testConfigText(), vars);
  const start = (more: Partial<StartOptions> = {}) =>
    // Posts paced 20 ms apart, not Slack's 1 s: this sweeper re-queues a queued run after 400 ms, card or not.
    startOpsbot(env, config, log, {
      role: 'all',
      sweepEveryMs: 200,
      slackOutbox: { postSpacingMs: 20 },
      ...options,
      ...more,
    });
  const cleanUp = async () => {
    await bentham.end();
    await slack.stop();
    await own.drop();
    await target.drop();
    await deleteKeys(prefix);
  };
  let first: Opsbot;
  try {
    first = await start();
  } catch (error) {
    await cleanUp();
    throw error;
  }
  const bots = [first];
  const db = createPool(own.url, log, 2);
  const opsbot = first;
  return {
    slack,
    opsbot,
    db,
    bentham,
    benthamUrl: target.url,
    vars: Object.fromEntries(
      Object.entries(vars).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ),
    logs,
    url: (bot = opsbot) => `http://127.0.0.1:${bot.port}`,
    async startAnother(more = {}) {
      const bot = await start(more);
      bots.push(bot);
      return bot;
    },
    async close() {
      for (const bot of bots) await bot.stop();
      await db.end();
      await cleanUp();
    },
  };
}
