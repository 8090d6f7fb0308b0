import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { HealthStore } from '../../src/health/health-store.js';
import type { Opsbot } from '../../src/opsbot.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness, testConfigText } from '../support/harness.js';

/** Bentham's health endpoint, faked: the test flips its answer; it counts requests and how many overlap. */
let endpoint: Server;
let failing = false;
let delayMs = 0;
let requests = 0;
let inFlight = 0;
let maxInFlight = 0;
let h: Harness | undefined;

const GOES_CRITICAL = '*bentham*: :white_check_mark: healthy → :red_circle: critical';
const RECOVERS =
  /^\*bentham\*: :red_circle: critical → :white_check_mark: healthy, unhealthy for under a minute$/;
const FAILING_CHECK = /^ {2}:red_circle: api — answered 500, expected 200 \(\d+ ms\)$/;

beforeAll(async () => {
  endpoint = createServer((_req, res) => {
    requests += 1;
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    setTimeout(() => {
      inFlight -= 1;
      res.writeHead(failing ? 500 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(failing ? { detail: 'database unreachable' } : { status: 'healthy' }));
    }, delayMs);
  });
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
});

afterEach(async () => {
  await h?.close();
  h = undefined;
  failing = false;
  delayMs = 0;
  maxInFlight = 0;
});

afterAll(async () => {
  endpoint?.closeAllConnections();
  await new Promise((resolve) => endpoint?.close(resolve));
});

/** The test config with Bentham's health check pointed at the fake endpoint. */
function configText(): string {
  const config = parse(testConfigText());
  const port = (endpoint.address() as AddressInfo).port;
  // The example's runbook names checks this test replaces.
  delete config.services.bentham.actions['sev1-response'];
  config.services.bentham.health = [
    {
      name: 'api',
      url: `http://127.0.0.1:${port}/v1/health`,
      expect: { status: 200, json: { status: 'healthy' } },
      latency_budget: '10s',
    },
  ];
  return stringify(config);
}

/** What the probe posted in the ops channel (every attempt Slack saw, refused or not). */
/** The tries that looked for a post in #ops (conversations.history) before posting it again. */
function lookups(harness: Harness): Record<string, unknown>[] {
  return harness.slack.of('conversations.history').filter((args) => args.channel === 'C0OPS');
}

function posts(harness: Harness): { text: string; lines: string[] }[] {
  return harness.slack
    .of('chat.postMessage')
    .filter((args) => args.channel === 'C0OPS' && String(args.text).startsWith('*bentham*'))
    .map((args) => {
      const [section] = args.blocks as { text: { text: string } }[];
      return { text: String(args.text), lines: String(section?.text.text).split('\n') };
    });
}

/** The probe's posts that Slack took. */
function delivered(harness: Harness) {
  return harness.slack.calls.filter(
    (call) =>
      call.method === 'chat.postMessage' &&
      call.status === 200 &&
      String(call.args.text).startsWith('*bentham*'),
  );
}

async function recordedLevel(harness: Harness): Promise<string | undefined> {
  const { rows } = await harness.db.query("SELECT level FROM service_health WHERE service = 'bentham'");
  return rows[0]?.level;
}

/** Waits until the endpoint has answered `count` more probes. */
async function moreProbes(count: number): Promise<void> {
  const target = requests + count;
  await eventually(() => expect(requests).toBeGreaterThanOrEqual(target));
}

/** Goes healthy → critical → healthy with probes at each level in between; stops the bots to end every tick. */
async function flap(harness: Harness, bots: Opsbot[]): Promise<void> {
  await eventually(async () => expect(await recordedLevel(harness)).toBe('ok'));
  await moreProbes(3);
  failing = true;
  await eventually(() => expect(posts(harness)).toHaveLength(1));
  await moreProbes(3);
  failing = false;
  await eventually(() => expect(posts(harness)).toHaveLength(2));
  await moreProbes(3);
  for (const bot of bots) await bot.stop();
}

describe('the background health probe', () => {
  it('posts once when a service goes critical and once when it recovers, not on every probe', async () => {
    h = await startHarness({ probeEveryMs: 50 }, { configText: configText() });
    await flap(h, [h.opsbot]);

    const [down, up] = posts(h);
    expect(posts(h)).toHaveLength(2);
    expect(down?.text).toBe(GOES_CRITICAL);
    expect(down?.lines.slice(1)).toEqual([expect.stringMatching(FAILING_CHECK)]);
    expect(up?.text).toMatch(RECOVERS);
    expect(up?.lines).toHaveLength(1);
    const { rows } = await h.db.query(
      'SELECT from_level, to_level, attempts, posted_at IS NOT NULL AS posted FROM health_changes ORDER BY id',
    );
    expect(rows).toEqual([
      { from_level: 'ok', to_level: 'critical', attempts: 0, posted: true },
      { from_level: 'critical', to_level: 'ok', attempts: 0, posted: true },
    ]);
  });

  it('posts once per transition with two opsbot processes whose probes overlap', async () => {
    // Each probe takes longer than the interval, so the process that is free takes the next one meanwhile;
    // a slow Slack keeps one process posting while the other's probe looks for changes to post.
    delayMs = 150;
    h = await startHarness({ probeEveryMs: 50 }, { configText: configText() });
    const second = await h.startAnother();
    h.slack.answerDelayMs = 300;
    await eventually(() => expect(maxInFlight).toBeGreaterThanOrEqual(2));
    await flap(h, [h.opsbot, second]);

    expect(posts(h).map((post) => post.text)).toEqual([GOES_CRITICAL, expect.stringMatching(RECOVERS)]);
    const { rows } = await h.db.query('SELECT to_level FROM health_changes ORDER BY id');
    expect(rows.map((row) => row.to_level)).toEqual(['critical', 'ok']);
  });

  it('posts a service that is critical at its first probe, through Slack failing for a while', async () => {
    failing = true;
    h = await startHarness(
      { probeEveryMs: 100, slackOutbox: { postSpacingMs: 20, retryBaseMs: 50, retryCapMs: 200 } },
      { configText: configText() },
    );
    h.slack.down = { status: 503 };
    // After a 503 (which may hide a post) each try first looks for the post in the channel.
    await eventually(() =>
      expect(posts(h as Harness).length + lookups(h as Harness).length).toBeGreaterThanOrEqual(2),
    );
    h.slack.down = undefined;
    await eventually(() => expect(delivered(h as Harness)).toHaveLength(1));
    await h.opsbot.stop();

    const { rows } = await h.db.query('SELECT to_level, posted_at IS NOT NULL AS queued FROM health_changes');
    expect(rows).toEqual([{ to_level: 'critical', queued: true }]);
    const attempts = posts(h);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(delivered(h)).toHaveLength(1);
    expect(new Set(attempts.map((post) => post.text))).toEqual(
      new Set(['*bentham* is :red_circle: critical (first probe)']),
    );
    expect(attempts.at(-1)?.lines.slice(1)).toEqual([expect.stringMatching(FAILING_CHECK)]);
    const outbox = await h.db.query(
      "SELECT state, attempts FROM slack_outbox WHERE key LIKE 'health-change:%'",
    );
    // Each try posted, looked in the channel first, or both (the last: not there, so posted).
    expect(outbox.rows).toEqual([{ state: 'sent', attempts: expect.any(Number) }]);
    expect(outbox.rows[0].attempts).toBeGreaterThanOrEqual(attempts.length);
    expect(outbox.rows[0].attempts).toBeLessThanOrEqual(attempts.length + lookups(h).length);
  });

  it('records one change when probes of the same service are applied at once', async () => {
    h = await startHarness();
    const pool = new pg.Pool({ connectionString: h.db.options.connectionString, max: 8 });
    // Connected up front, so that the probes below really run side by side.
    await Promise.all(Array.from({ length: 8 }, () => pool.query('SELECT 1')));
    const store = new HealthStore(pool);
    const healthy = { level: 'ok' as const, checks: [] };
    const critical = {
      level: 'critical' as const,
      checks: [
        { name: 'api', level: 'critical' as const, detail: 'answered 500, expected 200', latencyMs: 3 },
      ],
    };
    await store.record('search', healthy, new Date(Date.now() - 60_000));
    const changed = await Promise.all(
      Array.from({ length: 8 }, (_, i) => store.record('search', critical, new Date(Date.now() - 1_000 + i))),
    );
    await pool.end();
    expect(changed.filter((change) => change !== undefined)).toHaveLength(1);
    const { rows } = await h.db.query(
      "SELECT from_level, to_level, checks FROM health_changes WHERE service = 'search'",
    );
    expect(rows).toEqual([{ from_level: 'ok', to_level: 'critical', checks: critical.checks }]);
  });
});
