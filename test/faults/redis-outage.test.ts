import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_QUEUED } from '../../src/core.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { deliver, incidentEvent, PD_SECRET, pagerDutyConfigText } from '../support/pagerduty-webhooks.js';
import { closeAll, type PrivateServer, startPrivateRedis } from '../support/private-servers.js';
import { slackRuns } from '../support/seed-runs.js';
import { buttonBody, postSigned } from '../support/signed-requests.js';

// opsbot (web and worker in one process) on a Redis of this file's own, which the test stops and starts again
// empty (no persistence), as a crashed Redis comes back; PostgreSQL is the shared one.
let redis: PrivateServer;
let h: Harness;

beforeAll(async () => {
  redis = await startPrivateRedis();
  h = await startHarness(
    // The PagerDuty sweep revives an event unhandled for a second (production: a minute); the workers' feed
    // looks every 5 s.
    { pagerDutySweep: { everyMs: 200, staleAfterMs: 1_000 } },
    { configText: pagerDutyConfigText(), env: { REDIS_URL: redis.url, PAGERDUTY_WEBHOOK_SECRET: PD_SECRET } },
  );
});
afterAll(async () => {
  if (!redis) return;
  await redis.start().catch(() => undefined);
  await closeAll(async () => h?.close(), [redis]);
});

interface LogLine {
  level: number;
  msg: string;
  err?: { message?: string };
}

/** The log lines (JSON) whose message matches. */
const logged = (message: RegExp) =>
  h.logs.map((line) => JSON.parse(line) as LogLine).filter((l) => message.test(l.msg));

/** The attempt counts of study_abc123's jobs: each run of `touch` adds one to every one of them. */
const attempts = async () => {
  const { rows } = await h.bentham.query(
    "SELECT attempt_count FROM jobs WHERE study_id = 'study_abc123' ORDER BY id",
  );
  return rows.map((row) => Number(row.attempt_count));
};

const cardsOf = (incidentId: string) =>
  h.slack
    .of('chat.postMessage')
    .filter((m) => m.channel === 'C0ALERTS' && JSON.stringify(m.blocks).includes(`pd_alert:${incidentId}`));

describe('Redis goes away and comes back empty', () => {
  it('answers every request meanwhile, keeps accepted runs and webhooks in PostgreSQL, and runs them once when Redis is back; the outage is logged once', async () => {
    const runs = slackRuns(h);
    const before = await attempts();
    const logLines = h.logs.length;
    await redis.stop();

    // A non-idempotent action, requested and confirmed while Redis is away: one clear sentence, the run kept.
    const { runId, ts } = await runs.request('touch bentham study_abc123');
    const confirm = buttonBody('run_confirm', runId, 'U0ALICE', {
      messageTs: ts,
      responseUrl: h.slack.responseUrl(),
    });
    expect((await postSigned(h.url(), confirm)).status).toBe(200);
    await eventually(() => expect(h.slack.allText()).toContain(NOT_QUEUED));
    const { rows } = await h.db.query('SELECT state FROM action_runs WHERE id = $1', [runId]);
    expect(rows[0].state).toBe('queued');

    // A PagerDuty webhook is stored and acknowledged without Redis.
    const delivered = await deliver(h.url(), incidentEvent('incident.triggered', { id: 'QREDIS1' }));
    expect(delivered.status).toBe(202);
    const ready = await fetch(`${h.url()}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks.redis).toMatch(/failing/);

    // More requests while it is away, then it is back, empty: nothing above is lost or done twice.
    for (let i = 0; i < 5; i += 1) await fetch(`${h.url()}/readyz`);
    expect(await runs.reply('help')).toMatch(/ops/);
    await redis.start();
    expect((await runs.finished(runId, ts)).state).toBe('succeeded');
    await eventually(() => expect(cardsOf('QREDIS1')).toHaveLength(1));
    await eventually(async () => expect((await fetch(`${h.url()}/readyz`)).status).toBe(200));
    // Sweeps every 200 ms: a few more must not run it or post the card again.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await attempts()).toEqual(before.map((count) => count + 1));
    expect(cardsOf('QREDIS1')).toHaveLength(1);

    const during = h.logs.slice(logLines).map((line) => JSON.parse(line) as LogLine);
    expect(during.filter((l) => /Redis is unreachable/.test(l.msg))).toHaveLength(1);
    expect(during.filter((l) => /Redis is reachable again/.test(l.msg))).toHaveLength(1);
    // Nothing else about it at warn or above, not per request, not per reconnect attempt: at most the PagerDuty
    // sweep's line for the event, when it revives it before the workers' feed queues it, and BullMQ's for a
    // scheduled job that was running when Redis lost it (it cannot be finished).
    const revived = 'PagerDuty events were not handled in time: their jobs are live again';
    const warnings = during.filter(
      (l) =>
        l.level >= 40 &&
        !/Redis is unreachable/.test(l.msg) &&
        !(/worker error$/.test(l.msg) && /^Missing (key|lock) for job/.test(l.err?.message ?? '')),
    );
    expect(warnings.filter((l) => l.msg !== revived).map((l) => l.msg)).toEqual([]);
    expect(warnings.filter((l) => l.msg === revived).length).toBeLessThanOrEqual(1);
  });

  it('needs no restart: requests and webhooks after the outage go straight through', async () => {
    const runs = slackRuns(h);
    const { runId, ts } = await runs.request('touch bentham study_abc123');
    expect((await runs.confirm(runId, ts)).state).toBe('succeeded');
    expect((await deliver(h.url(), incidentEvent('incident.triggered', { id: 'QREDIS2' }))).status).toBe(202);
    await eventually(() => expect(cardsOf('QREDIS2')).toHaveLength(1));
    expect(logged(/Redis is unreachable/)).toHaveLength(1);
  });
});
