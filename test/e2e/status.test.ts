import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { parseOpsConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { type Opsbot, startOpsbot } from '../../src/opsbot.js';
import { createTestDatabase, eventually } from '../support/databases.js';
import { FakeSlack } from '../support/fake-slack.js';
import { deleteKeys } from '../support/redis-keys.js';
import { postSigned, slashBody } from '../support/signed-requests.js';
import { queuePrefix, TEST_REDIS_URL, testVars } from '../support/test-env.js';

/** Health endpoints that answer as the path says: healthy, one service down, slow, 503, or never. */
let health: Server;
let slack: FakeSlack;
let own: Awaited<ReturnType<typeof createTestDatabase>>;
let bot: Opsbot;
let db: pg.Pool;
let replies = 0;
const prefix = queuePrefix('opsbot_status');

beforeAll(async () => {
  health = createServer((req, res) => {
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/ok')
      answer(200, { status: 'healthy', services: { database: 'healthy', redis: 'healthy' } });
    else if (req.url === '/one-down')
      answer(200, { status: 'healthy', services: { database: 'healthy', redis: 'down' } });
    else if (req.url === '/slow') setTimeout(() => answer(200, { status: 'healthy' }), 300);
    else if (req.url === '/unavailable') answer(503, { detail: 'draining' });
    // /hang: never answers
  });
  await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(health.address() as AddressInfo).port}`;
  slack = await new FakeSlack().start();
  own = await createTestDatabase('opsbot_status');
  const config = parseOpsConfig(
    `
workspace: { ops_channel: C0OPS }
roles: { viewer: { users: [U0ALICE] }, operator: { users: [U0BOB] } }
services:
  web:
    environment: staging
    health:
      - { name: api, url: "${base}/ok", latency_budget: 10s, expect: { status: 200, json: { services: { "*": healthy } } } }
      - { name: search, url: "${base}/slow", latency_budget: 100ms }
  data:
    environment: staging
    databases: { main: { url: "${own.url}" } }
    health:
      - { name: backlog, database: main, query: "SELECT 42", warning: { above: 40 }, critical: { above: 100 } }
      - { name: broken, database: main, query: "SELECT count(*) FROM no_such_table" }
      - { name: cache, redis: "${TEST_REDIS_URL}", memory_critical_mb: 100000 }
      - { name: lost-cache, redis: "redis://127.0.0.1:1", timeout: 500ms }
  worker:
    environment: staging
    health:
      - { name: api, url: "${base}/one-down", expect: { json: { services: { "*": healthy } } } }
      - { name: ready, url: "${base}/unavailable" }
      - { name: queue, url: "${base}/hang", timeout: 200ms }
`,
    {},
  );
  const env = readEnv(testVars(slack, own.url, prefix));
  bot = await startOpsbot(env, config, createLogger('silent'), { role: 'web' });
  db = new pg.Pool({ connectionString: own.url, max: 1 });
});

afterAll(async () => {
  await db?.end();
  await bot?.stop();
  await deleteKeys(prefix);
  health?.closeAllConnections();
  await new Promise((resolve) => health?.close(resolve));
  await slack?.stop();
  await own?.drop();
});

async function status(text: string, user: string): Promise<string> {
  const name = `s${++replies}`;
  await postSigned(
    `http://127.0.0.1:${bot.port}`,
    slashBody(text, user, { responseUrl: slack.responseUrl(name) }),
  );
  return eventually(() => {
    const reply = slack.of(`respond/${name}`)[0];
    expect(reply).toBeDefined();
    return String(reply?.text);
  });
}

describe('/ops status', () => {
  it('runs every check of a service and shows each with its level, what was measured and latency', async () => {
    const text = await status('status web', 'U0ALICE');
    const lines = text.split('\n');
    expect(lines[0]).toBe('*web* :warning: warning');
    expect(lines[1]).toMatch(/^ {2}:white_check_mark: api — 200 \(\d+ ms\)$/);
    expect(lines[2]).toMatch(/^ {2}:warning: search — 200, slower than its 100 ms budget \(\d+ ms\)$/);
  });

  it('reports a wrong JSON value, a bad status and a timeout as critical, all in one reply', async () => {
    const text = await status('status worker', 'U0ALICE');
    expect(text).toContain('*worker* :red_circle: critical');
    expect(text).toMatch(/:red_circle: api — services\.redis is "down", expected "healthy" \(\d+ ms\)/);
    expect(text).toMatch(/:red_circle: ready — answered 503, expected 200 \(\d+ ms\)/);
    expect(text).toMatch(/:red_circle: queue — no answer within 200 ms \(\d+ ms\)/);
  });

  it('grades a SQL number against its levels and checks Redis, reporting failures as critical', async () => {
    const text = await status('status data', 'U0ALICE');
    expect(text).toContain('*data* :red_circle: critical');
    expect(text).toMatch(/:warning: backlog — 42 \(\d+ ms\)/);
    expect(text).toMatch(/:red_circle: broken — relation "no_such_table" does not exist \(\d+ ms\)/);
    expect(text).toMatch(/:white_check_mark: cache — PONG, \d+\.\d MiB in use \(\d+ ms\)/);
    expect(text).toMatch(/:red_circle: lost-cache — .+ \(\d+ ms\)/);
  });

  it('shows what opsbot has switched on a service, such as degraded mode', async () => {
    await db.query(
      `INSERT INTO service_state (service, key, value, set_by, expires_at)
       VALUES ('web', 'degraded-mode', '{"on": true, "models": ["llama3.2", "phi3"]}', 'U0BOB', now() + interval '2 hours')`,
    );
    const text = await status('status web', 'U0ALICE');
    expect(text).toMatch(
      /:large_yellow_circle: Degraded mode: only llama3\.2, phi3 served since \d{4}-\d\d-\d\d \d\d:\d\d UTC, until \d{4}-\d\d-\d\d \d\d:\d\d UTC/,
    );
  });

  it('shows every service the caller may view, and refuses a service they may not', async () => {
    const all = await status('status', 'U0ALICE');
    expect(all).toContain('*web*');
    expect(all).toContain('*worker*');
    expect(await status('status web', 'U0STRANGER')).toMatch(
      /^`status` on web needs viewer; <@U0STRANGER> has no opsbot role there\./,
    );
    expect(await status('status', 'U0STRANGER')).toBe('_There are no services you may see the status of._');
    const { rows } = await db.query(
      "SELECT detail FROM audit_log WHERE actor = 'U0STRANGER' AND event = 'request.denied'",
    );
    expect(rows).toHaveLength(1);
  });
});
