import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { parseOpsConfig } from '../../src/config/load.js';
import { createPool } from '../../src/db/pool.js';
import { createLogger } from '../../src/log.js';
import { type Opsbot, startOpsbot } from '../../src/opsbot.js';
import { blockText, buttons, runIdOf } from '../support/cards.js';
import { collectInto } from '../support/collect.js';
import { createTestDatabase, eventually } from '../support/databases.js';
import { FakeSlack } from '../support/fake-slack.js';
import { deleteKeys } from '../support/redis-keys.js';
import { buttonBody, postSigned, slashBody } from '../support/signed-requests.js';
import { queuePrefix, testVars } from '../support/test-env.js';

/** The Redmine RAG admin API's token: sent to the fake API, never shown anywhere else. */
const API_TOKEN = 'rag-admin-token-7f3c9d1e5b2a';

interface Received {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local HTTP server standing in for an admin API; records what it received. */
async function fakeApi(routes: Record<string, (res: ServerResponse) => void>) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      const route = routes[`${req.method} ${(req.url ?? '').split('?')[0]}`];
      if (route) route(res);
      else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":"not found"}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    received,
    port: (server.address() as AddressInfo).port,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

let api: Awaited<ReturnType<typeof fakeApi>>;
let other: Awaited<ReturnType<typeof fakeApi>>;
let slack: FakeSlack;
let own: Awaited<ReturnType<typeof createTestDatabase>>;
let bot: Opsbot;
let db: ReturnType<typeof createPool>;
let prefix: string;
const logs: string[] = [];

function configText(apiPort: number): string {
  const base = `http://127.0.0.1:${apiPort}`;
  return `
workspace: { ops_channel: C0OPS }
roles:
  operator: { users: [U0ALICE] }
channels: { allow: [C0OPS] }
services:
  redmine:
    environment: production
    allowed_hosts: ["127.0.0.1:${apiPort}"]
    actions:
      sync:
        kind: http
        summary: Re-run the Redmine sync
        method: POST
        url: ${base}/v1/sync/redmine?project={project}
        headers: { Authorization: "Bearer \${RAG_ADMIN_TOKEN}" }
        params: { project: { type: string, pattern: "^[a-z-]+$" }, limit: { type: integer, optional: true } }
        body: { project: "{project}", limit: "{limit}", full: true }
        expect_status: 202
        show: [job_id, status]
        risk: medium
      failed:
        kind: http
        summary: List failed sync jobs
        method: GET
        url: ${base}/v1/sync/jobs?status=failed
        headers: { Authorization: "Bearer \${RAG_ADMIN_TOKEN}" }
        show: ["jobs[].id", "jobs[].error"]
        idempotent: true
        risk: low
      reindex:
        kind: http
        summary: Rebuild the vector index
        method: POST
        url: ${base}/v1/reindex
        headers: { Authorization: "Bearer \${RAG_ADMIN_TOKEN}" }
        risk: low
      hang:
        kind: http
        summary: Call an endpoint that never answers
        method: POST
        url: ${base}/v1/hang
        timeout: 200ms
        risk: low
      moved:
        kind: http
        summary: Call an endpoint that redirects elsewhere
        method: GET
        url: ${base}/v1/moved
        risk: low
      elsewhere:
        kind: http
        summary: Call a port chosen in Slack
        method: GET
        url: http://127.0.0.1:{port}/v1/anything
        params: { port: { type: integer } }
        risk: low
`;
}

beforeAll(async () => {
  other = await fakeApi({ 'GET /steal': (res) => json(res, 200, { stolen: true }) });
  api = await fakeApi({
    'POST /v1/sync/redmine': (res) => json(res, 202, { job_id: 'job_42', status: 'queued' }),
    'GET /v1/sync/jobs': (res) =>
      json(res, 200, {
        jobs: [
          { id: 'job_7', error: 'Redmine answered 503' },
          { id: 'job_9', error: 'embedding timeout' },
        ],
      }),
    'POST /v1/reindex': (res) => json(res, 500, { detail: 'vector index is locked by another writer' }),
    'POST /v1/hang': () => undefined, // never answers
    'GET /v1/moved': (res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${other.port}/steal` });
      res.end();
    },
  });
  slack = await new FakeSlack().start();
  own = await createTestDatabase('opsbot_test');
  prefix = queuePrefix('opsbot_test');
  const vars = { ...testVars(slack, own.url, prefix), RAG_ADMIN_TOKEN: API_TOKEN };
  const log = createLogger('debug', collectInto(logs));
  const config = parseOpsConfig(configText(api.port), vars);
  bot = await startOpsbot(readEnv(vars), config, log, {
    role: 'all',
    sweepEveryMs: 200,
    slackOutbox: { postSpacingMs: 20 },
  });
  db = createPool(own.url, log, 2);
});

afterAll(async () => {
  await bot?.stop();
  await db?.end();
  await slack?.stop();
  await own?.drop();
  await api?.close();
  await other?.close();
  await deleteKeys(prefix);
});

const url = () => `http://127.0.0.1:${bot.port}`;
let replies = 0;

/** Requests `/ops <text>` as Alice; returns the new run card. */
async function request(text: string): Promise<Record<string, unknown>> {
  const before = slack.of('chat.postMessage').filter((m) => !m.thread_ts).length;
  const slash = await postSigned(
    url(),
    slashBody(text, 'U0ALICE', { responseUrl: slack.responseUrl(`h${++replies}`) }),
  );
  expect(slash.status).toBe(200);
  return eventually(() => {
    const cards = slack.of('chat.postMessage').filter((m) => !m.thread_ts);
    expect(cards.length).toBe(before + 1);
    return cards[before] as Record<string, unknown>;
  });
}

/** The latest run of an action once it has ended and its card is posted. */
async function finished(action: string) {
  return eventually(async () => {
    const { rows } = await db.query(
      'SELECT id, state, error, result, message_ts FROM action_runs WHERE action = $1 ORDER BY created_at DESC LIMIT 1',
      [action],
    );
    expect(['succeeded', 'failed']).toContain(rows[0]?.state);
    // A low-risk run may end before Slack took its card: its ts comes with the card.
    expect(rows[0]?.message_ts).toBeTruthy();
    return rows[0] as {
      id: string;
      state: string;
      error: string | null;
      result: unknown;
      message_ts: string;
    };
  });
}

function threadReply(ts: string): Record<string, unknown> {
  const reply = slack.of('chat.postMessage').find((m) => m.thread_ts === ts);
  expect(reply).toBeDefined();
  return reply as Record<string, unknown>;
}

describe('http actions through a running opsbot', () => {
  it('plans a POST without the secret, sends exactly that request on Confirm, and reports the answer', async () => {
    const earlier = api.received.length;
    const card = await request('sync redmine core-docs limit=50');
    const plan = blockText(card);
    expect(plan).toContain(`POST http://127.0.0.1:${api.port}/v1/sync/redmine?project=core-docs`);
    expect(plan).toContain('authorization: [redacted]');
    expect(plan).toContain('{"project":"core-docs","limit":50,"full":true}');
    expect(buttons(card).map((b) => b.label)).toEqual(['Confirm', 'Cancel']);
    expect(api.received.slice(earlier)).toEqual([]); // planning a POST sends nothing

    const runId = runIdOf(card);
    const ts = await eventually(async () => {
      const { rows } = await db.query('SELECT message_ts FROM action_runs WHERE id = $1', [runId]);
      expect(rows[0]?.message_ts).toBeTruthy();
      return rows[0].message_ts as string;
    });
    await postSigned(
      url(),
      buttonBody('run_confirm', runId, 'U0ALICE', { messageTs: ts, responseUrl: slack.responseUrl('c1') }),
    );
    const run = await finished('sync');
    expect(run.state).toBe('succeeded');

    expect(api.received.slice(earlier)).toHaveLength(1);
    const sent = api.received[earlier] as Received;
    expect(sent.method).toBe('POST');
    expect(sent.url).toBe('/v1/sync/redmine?project=core-docs');
    expect(sent.headers.authorization).toBe(`Bearer ${API_TOKEN}`);
    expect(sent.headers['content-type']).toBe('application/json');
    expect(JSON.parse(sent.body)).toEqual({ project: 'core-docs', limit: 50, full: true });

    const reply = await eventually(() => threadReply(ts));
    const replyText = `${String(reply.text)}\n${blockText(reply)}`;
    expect(replyText).toContain(
      `POST http://127.0.0.1:${api.port}/v1/sync/redmine?project=core-docs → 202 Accepted`,
    );
    expect(replyText).toContain('job_42');
    expect(replyText).toContain('queued');
  });

  it('shows the rows of a GET listing as a table', async () => {
    const card = await request('failed redmine');
    const run = await finished('failed');
    expect(run.state).toBe('succeeded');
    const reply = await eventually(() => threadReply(card.ts ? String(card.ts) : run.message_ts));
    const text = blockText(reply);
    expect(text).toContain('job_7');
    expect(text).toContain('Redmine answered 503');
    expect(text).toContain('embedding timeout');
    expect(api.received.at(-1)?.url).toBe('/v1/sync/jobs?status=failed');
  });

  it('fails a 500 with one sentence naming the status and the reason', async () => {
    await request('reindex redmine');
    const run = await finished('reindex');
    expect(run.state).toBe('failed');
    expect(run.error).toBe(
      `POST http://127.0.0.1:${api.port}/v1/reindex answered 500 Internal Server Error: vector index is locked by another writer`,
    );
  });

  it('fails a call the API never answers, after the action timeout', async () => {
    await request('hang redmine');
    const run = await finished('hang');
    expect(run.state).toBe('failed');
    expect(run.error).toContain('The API did not answer within 200 ms');
  });

  it('never follows a redirect to another host', async () => {
    await request('moved redmine');
    const run = await finished('moved');
    expect(run.state).toBe('failed');
    expect(run.error).toContain(
      `answered with a redirect to 127.0.0.1:${other.port}; opsbot does not follow redirects`,
    );
    expect(other.received).toEqual([]);
  });

  it('refuses a host that is not in allowed_hosts without contacting it', async () => {
    const card = await request(`elsewhere redmine ${other.port}`);
    const run = await finished('elsewhere');
    expect(run.state).toBe('failed');
    expect(run.error).toBe(
      `Planning failed: 127.0.0.1:${other.port} is not in this service's allowed_hosts (127.0.0.1:${api.port}).`,
    );
    expect(blockText(card)).toContain('is not in this service');
    expect(other.received).toEqual([]);
  });

  it('never shows the API token in Slack, the logs or the run rows', async () => {
    // Calls that send the token: a GET that runs at once, and a POST the API fails.
    await request('failed redmine');
    await finished('failed');
    await request('reindex redmine');
    await finished('reindex');
    expect(api.received.some((r) => r.headers.authorization === `Bearer ${API_TOKEN}`)).toBe(true);
    expect(slack.allText()).not.toContain(API_TOKEN);
    expect(logs.join('')).not.toContain(API_TOKEN);
    const { rows } = await db.query('SELECT plan::text, result::text, error FROM action_runs');
    expect(JSON.stringify(rows)).not.toContain(API_TOKEN);
    const audit = await db.query('SELECT * FROM audit_log');
    expect(JSON.stringify(audit.rows)).not.toContain(API_TOKEN);
  });
});
