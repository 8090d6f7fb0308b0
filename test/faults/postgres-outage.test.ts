import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { eventually } from '../support/databases.js';
import type { SlackCall } from '../support/fake-slack.js';
import { type Harness, startHarness } from '../support/harness.js';
import { deliver, incidentEvent, PD_SECRET, pagerDutyConfigText } from '../support/pagerduty-webhooks.js';
import { closeAll, type PrivateServer, startPrivatePostgres } from '../support/private-servers.js';
import { postSigned, slashBody } from '../support/signed-requests.js';
import { slowCountAction } from '../support/slow-action.js';

// opsbot (web and worker in one process) with its database on a PostgreSQL cluster of this file's own, which
// the test stops and starts; Redis and Bentham's database are the shared ones.
let server: PrivateServer;

/** Bentham with PagerDuty, and a low-risk action that runs for 3 s on Bentham's (shared) database. */
function configText(): string {
  const config = parse(pagerDutyConfigText());
  config.services.bentham.actions.sleepy = slowCountAction(3);
  return stringify(config);
}
let h: Harness;
/** The test's own view of opsbot's database (not the harness's pool, whose idle clients would log the outage). */
let db: pg.Pool;

beforeAll(async () => {
  server = await startPrivatePostgres();
  h = await startHarness(
    // Every loop of the worker runs every 200 ms (the harness's run sweeps, the PagerDuty and access sweeps), so an
    // outage of a few seconds meets each many times.
    // A short outbox claim, so a message whose claim ran out would be sent again within the test.
    {
      pagerDutySweep: { everyMs: 200 },
      accessSweepEveryMs: 200,
      slackOutbox: { postSpacingMs: 20, leaseMs: 3_000 },
    },
    {
      configText: configText(),
      env: { PAGERDUTY_WEBHOOK_SECRET: PD_SECRET },
      databaseServer: server.url,
    },
  );
  db = new pg.Pool({ connectionString: h.vars.DATABASE_URL, max: 1, idleTimeoutMillis: 100 });
  db.on('error', () => undefined);
});
afterAll(async () => {
  if (!server) return;
  await server.start().catch(() => undefined);
  await closeAll(async () => {
    await db?.end();
    await h?.close();
  }, [server]);
});

const OUTAGE =
  'opsbot cannot reach its database (PostgreSQL) right now, so nothing was done; try again in a minute.';

interface LogLine {
  level: number;
  msg: string;
}
const linesSince = (from: number): LogLine[] => h.logs.slice(from).map((line) => JSON.parse(line) as LogLine);

/** `/ops <text>` as Alice; resolves with what she is told (ephemerally, through the response_url). */
let asked = 0;
async function ask(text: string): Promise<string> {
  const name = `pg${++asked}`;
  const acked = await postSigned(
    h.url(),
    slashBody(text, 'U0ALICE', { responseUrl: h.slack.responseUrl(name) }),
  );
  expect(acked.status).toBe(200);
  return told(name);
}

/** What Alice was told through the response_url `name`, once she was. */
function told(name: string, timeoutMs?: number): Promise<string> {
  return eventually(() => {
    const answer = h.slack.of(`respond/${name}`)[0];
    expect(answer).toBeDefined();
    return String(answer?.text);
  }, timeoutMs);
}

/** Slack takes `delayMs` to answer run cards whose text starts with `start`; returns those cards' calls so far. */
function slowCards(start: string, delayMs: number): () => SlackCall[] {
  const isCard = (args: Record<string, unknown>) => String(args.text).startsWith(start);
  h.slack.script('chat.postMessage', [{ delayMs }], isCard);
  return () => h.slack.calls.filter((c) => c.method === 'chat.postMessage' && isCard(c.args));
}

const cardsOf = (incidentId: string) =>
  h.slack
    .of('chat.postMessage')
    .filter((m) => m.channel === 'C0ALERTS' && JSON.stringify(m.blocks).includes(`pd_alert:${incidentId}`));

describe('PostgreSQL goes away and comes back', () => {
  it('fails /readyz, tells Slack users in one sentence, answers webhooks 503, logs the outage once, and recovers by itself', async () => {
    const from = h.logs.length;
    await server.stop();

    const ready = await fetch(`${h.url()}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks.postgres).toMatch(/failing/);
    for (let i = 0; i < 3; i += 1) {
      expect(await ask('touch bentham study_abc123')).toContain(OUTAGE);
    }
    const event = incidentEvent('incident.triggered', { id: 'QPG1' });
    for (let i = 0; i < 3; i += 1) expect((await deliver(h.url(), event)).status).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    await server.start();
    await eventually(async () => expect((await fetch(`${h.url()}/readyz`)).status).toBe(200), 15_000);
    // PagerDuty delivers the event again: it is taken and shown once.
    expect((await deliver(h.url(), event)).status).toBe(202);
    await eventually(() => expect(cardsOf('QPG1')).toHaveLength(1));
    // A request now goes through: its run is made and its card posted.
    const acked = await postSigned(
      h.url(),
      slashBody('touch bentham study_abc123', 'U0ALICE', { responseUrl: h.slack.responseUrl('pg-after') }),
    );
    expect(acked.status).toBe(200);
    await eventually(async () => {
      const { rows } = await db.query(
        "SELECT count(*)::int AS n FROM action_runs WHERE action = 'touch' AND message_ts IS NOT NULL",
      );
      expect(rows[0].n).toBe(1);
    });
    // Outbox notifications are heard again (the LISTEN connection came back by itself).
    await eventually(() =>
      expect(linesSince(from).some((l) => /hearing about queued Slack messages .* again/.test(l.msg))).toBe(
        true,
      ),
    );

    const lines = linesSince(from);
    expect(lines.filter((l) => /PostgreSQL is unreachable/.test(l.msg))).toHaveLength(1);
    expect(lines.filter((l) => /PostgreSQL is reachable again/.test(l.msg))).toHaveLength(1);
    // Nothing else at warn or above but the outbox's one line about its lost LISTEN connection.
    const warnings = lines.filter((l) => l.level >= 40 && !/PostgreSQL is unreachable/.test(l.msg));
    expect(warnings.map((l) => l.msg)).toEqual([
      'not hearing about queued Slack messages from PostgreSQL; polling until listening again',
    ]);
  });

  it('records a card Slack took while PostgreSQL was away once it is back, instead of posting it again', async () => {
    const cards = slowCards('purge on bentham', 3_000);
    await postSigned(
      h.url(),
      slashBody('purge bentham study_abc123', 'U0ALICE', { responseUrl: h.slack.responseUrl('pg-purge') }),
    );
    // Slack has the card and is slow to answer; PostgreSQL goes away before opsbot can record the answer.
    await eventually(() => expect(cards()).toHaveLength(1));
    await server.stop();
    await eventually(() => expect(cards()[0]?.answer).toBeDefined(), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await server.start();

    const row = await eventually(async () => {
      const { rows } = await db.query(
        "SELECT state, ts, attempts FROM slack_outbox WHERE key LIKE 'run:%' AND message->>'text' LIKE 'purge on%'",
      );
      expect(rows).toEqual([expect.objectContaining({ state: 'sent' })]);
      return rows[0];
    }, 15_000);
    // Longer than a claim lasts: a message whose claim ran out would have been claimed and sent again by now.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(cards().filter((c) => c.status === 200)).toHaveLength(1);
    expect(row).toMatchObject({ attempts: 1, ts: (cards()[0]?.answer as { ts?: string } | undefined)?.ts });
  });

  it('records the end of a run that finished while PostgreSQL was away once it is back: succeeded, not interrupted', async () => {
    const before = await h.bentham.query(
      "SELECT sum(attempt_count)::int AS n FROM jobs WHERE study_id = 'study_other1'",
    );
    await postSigned(
      h.url(),
      slashBody('sleepy bentham study_other1', 'U0ALICE', { responseUrl: h.slack.responseUrl('pg-sleepy') }),
    );
    const runId = await eventually(async () => {
      const { rows } = await db.query("SELECT id, state FROM action_runs WHERE action = 'sleepy'");
      expect(rows[0]?.state).toBe('running');
      return rows[0].id as string;
    }, 10_000);
    // Away before the action ends (3 s on Bentham's database, which stays up), back after it did.
    await server.stop();
    await eventually(async () => {
      const { rows } = await h.bentham.query(
        "SELECT sum(attempt_count)::int AS n FROM jobs WHERE study_id = 'study_other1'",
      );
      expect(rows[0].n).toBeGreaterThan(before.rows[0].n);
    }, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await server.start();

    const run = await eventually(async () => {
      const { rows } = await db.query('SELECT state, error FROM action_runs WHERE id = $1', [runId]);
      expect(rows[0]?.state).not.toBe('running');
      return rows[0];
    }, 20_000);
    expect(run).toEqual({ state: 'succeeded', error: null });
    await eventually(() =>
      expect(
        h.slack
          .of('chat.update')
          .some((m) => JSON.stringify(m).includes(runId) && JSON.stringify(m).includes('Succeeded')),
      ).toBe(true),
    );
  });

  it('tells a requester whose card Slack was still taking when PostgreSQL went away that it comes late, and runs the run once it is back', async () => {
    const cards = slowCards('annotate on bentham', 2_000);
    await postSigned(
      h.url(),
      slashBody('annotate bentham study_abc123 while-away', 'U0ALICE', {
        responseUrl: h.slack.responseUrl('pg-late'),
      }),
    );
    await eventually(() => expect(cards()).toHaveLength(1));
    await server.stop();
    const reply = await told('pg-late', 20_000);
    expect(reply).toMatch(
      /^opsbot lost its database \(PostgreSQL\) while posting the card of run_\w+, so the card will appear here late, once the database is back; the run is queued meanwhile\.$/,
    );
    await server.start();

    const runId = reply.match(/run_\w+/)?.[0];
    await eventually(async () => {
      const { rows } = await db.query('SELECT state FROM action_runs WHERE id = $1', [runId]);
      expect(rows[0]?.state).toBe('succeeded');
    }, 60_000);
    const { rows } = await db.query(
      "SELECT count(*)::int AS n FROM audit_log WHERE run_id = $1 AND event = 'run.running'",
      [runId],
    );
    expect(rows[0].n).toBe(1);
  }, 90_000);
});
