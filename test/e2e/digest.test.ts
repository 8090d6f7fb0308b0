import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { digestFigures } from '../../src/digest/figures.js';
import type { HealthLevel } from '../../src/health/levels.js';
import { RunStore } from '../../src/runs/store.js';
import { SlackDigestService as DigestService } from '../../src/slack/adapters/digest-slack.js';
import type { OutboxMessage } from '../../src/slack/transport/outbox/message.js';
import { blockProblems } from '../support/block-limits.js';
import { blockText } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness, testConfigText } from '../support/harness.js';
import { slashText } from '../support/slash.js';

/**
 * The Bentham config with a digest every 2 seconds (a 6-field cron) to C0DIGEST, a second service, billing,
 * and no role for everyone: a role granted on one service is then all a user holds.
 */
function configText(): string {
  const config = parse(testConfigText());
  config.digest = { schedule: '*/2 * * * * *', channel: 'C0DIGEST' };
  config.services.billing = { environment: 'staging' };
  delete config.roles.viewer;
  return stringify(config);
}

const HOUR = 3_600_000;
let h: Harness;
// The digest counts what the whole database holds: each test starts from its own, with the fixed data.
beforeEach(async () => {
  h = await startHarness({}, { configText: configText() });
  await insertFixedData(Date.now());
});
afterEach(async () => {
  await h?.close();
});

/** Incidents, PagerDuty events, runs, denials, degraded mode and health, at fixed distances from `now`. */
async function insertFixedData(now: number): Promise<void> {
  const at = (hoursAgo: number) => new Date(now - hoursAgo * HOUR);
  const incident = `INSERT INTO incidents (id, title, severity, status, channel_id, channel_name, declared_by,
      commander, next_status_at, declared_at, resolved_at, services)
      VALUES ($1, $2, 'SEV2', $3, $4, $4, 'U0ALICE', $5, $6, $7, $8, '{bentham}')`;
  const later = new Date(now + 24 * HOUR);
  await h.db.query(incident, ['inc-a', 'Gateway 502s', 'resolved', 'C0INCA', null, later, at(3), at(1)]);
  await h.db.query(incident, ['inc-b', 'Slow queue', 'resolved', 'C0INCB', null, later, at(5), at(4)]);
  await h.db.query(incident, [
    'inc-c',
    'Disk filling',
    'investigating',
    'C0INCC',
    'U0BOB',
    later,
    at(48),
    null,
  ]);
  await h.db.query(incident, [
    'inc-d',
    'Redis flapping',
    'investigating',
    'C0INCD',
    null,
    later,
    at(0.5),
    null,
  ]);
  const event = `INSERT INTO pagerduty_webhook_events (event_id, event_type, incident_id, occurred_at, payload, processed_at)
      VALUES ($1, $2, $3, $4, '{}', now())`;
  await h.db.query(event, ['e1', 'incident.triggered', 'P1', at(2)]);
  await h.db.query(event, ['e2', 'incident.acknowledged', 'P1', new Date(now - 2 * HOUR + 5 * 60_000)]);
  await h.db.query(event, ['e3', 'incident.triggered', 'P2', at(3)]);
  await h.db.query(event, ['e4', 'incident.acknowledged', 'P2', new Date(now - 3 * HOUR + 15 * 60_000)]);
  await h.db.query(event, ['e5', 'incident.acknowledged', 'P2', new Date(now - 1 * HOUR)]);
  await h.db.query(
    `INSERT INTO pagerduty_incidents (id, title, status, service_id, opsbot_service, first_seen_at, state_at)
     VALUES ('P1', 'API errors', 'acknowledged', 'PSVC0A1', 'bentham', $1, $1)`,
    [at(2)],
  );
  const run = `INSERT INTO action_runs (id, service, action, kind, risk, params, state, requested_by, channel_id, created_at)
      VALUES ($1, 'bentham', 'x', $2, 'low', '{}', $3, 'U0ALICE', 'C0OPS', $4)`;
  await h.db.query(run, ['r1', 'sql', 'succeeded', at(1)]);
  await h.db.query(run, ['r2', 'sql', 'succeeded', at(2)]);
  await h.db.query(run, ['r3', 'sql', 'failed', at(3)]);
  await h.db.query(run, ['r4', 'http', 'rejected', at(4)]);
  await h.db.query(run, ['r5', 'http', 'succeeded', at(30)]);
  const store = new RunStore(h.db);
  await store.auditDenial({ actor: 'U0EVE', service: 'bentham', action: 'x', detail: { reason: 'test' } });
  await store.auditDenial({ actor: 'U0EVE', service: 'bentham', action: 'y', detail: { reason: 'test' } });
  await h.db.query(
    `INSERT INTO service_state (service, key, value, set_by, updated_at)
     VALUES ('bentham', 'degraded-mode', '{"on":true,"models":["m1"]}', 'U0ALICE', $1)`,
    [new Date('2026-01-02T03:04:00Z')],
  );
  await h.db.query(
    `INSERT INTO service_health (service, level, since, checked_at) VALUES ('bentham', 'warning', $1, now())`,
    [new Date('2026-01-02T05:06:00Z')],
  );
}

/** Billing's own incident, PagerDuty incident, run, denial, degraded mode and health, and an incident of both. */
async function insertBillingData(now: number): Promise<void> {
  const at = (hoursAgo: number) => new Date(now - hoursAgo * HOUR);
  const incident = `INSERT INTO incidents (id, title, severity, status, channel_id, channel_name, declared_by,
      next_status_at, declared_at, resolved_at, services)
      VALUES ($1, $2, 'SEV3', $3, $4, $4, 'U0ALICE', $5, $6, $7, $8)`;
  const later = new Date(now + 24 * HOUR);
  await h.db.query(incident, [
    'inc-e',
    'Billing webhooks failing',
    'investigating',
    'C0INCE',
    later,
    at(2),
    null,
    ['billing'],
  ]);
  await h.db.query(incident, [
    'inc-f',
    'Shared database restart',
    'resolved',
    'C0INCF',
    later,
    at(6),
    at(5),
    ['bentham', 'billing'],
  ]);
  await h.db.query(
    `INSERT INTO pagerduty_incidents (id, title, status, service_id, opsbot_service, first_seen_at, state_at)
     VALUES ('P3', 'Webhook failures', 'acknowledged', 'PSVC0B1', 'billing', $1, $1)`,
    [at(1.5)],
  );
  const event = `INSERT INTO pagerduty_webhook_events (event_id, event_type, incident_id, occurred_at, payload, processed_at)
      VALUES ($1, $2, 'P3', $3, '{}', now())`;
  await h.db.query(event, ['e6', 'incident.triggered', at(1.5)]);
  await h.db.query(event, ['e7', 'incident.acknowledged', new Date(now - 1.5 * HOUR + 20 * 60_000)]);
  await h.db.query(
    `INSERT INTO action_runs (id, service, action, kind, risk, params, state, requested_by, channel_id, created_at)
     VALUES ('r6', 'billing', 'replay', 'http', 'low', '{}', 'failed', 'U0ALICE', 'C0OPS', $1)`,
    [at(1)],
  );
  await new RunStore(h.db).auditDenial({
    actor: 'U0EVE',
    service: 'billing',
    action: 'replay',
    detail: { reason: 'test' },
  });
  await h.db.query(
    `INSERT INTO service_state (service, key, value, set_by, updated_at)
     VALUES ('billing', 'degraded-mode', '{"on":true,"models":["m2"]}', 'U0BOB', $1)`,
    [new Date('2026-01-03T01:00:00Z')],
  );
  await h.db.query(
    `INSERT INTO service_health (service, level, since, checked_at) VALUES ('billing', 'critical', $1, now())`,
    [new Date('2026-01-03T02:00:00Z')],
  );
}

/** `/ops <text>` as `user` in `channel`; returns what opsbot answered ephemerally. */
async function ops(text: string, user = 'U0ALICE', channel = 'C0OPS'): Promise<string> {
  return slashText(h, text, { user, channel }, { timeoutMs: 20_000 });
}

const topPostsIn = (channel: string) =>
  h.slack.of('chat.postMessage').filter((m) => m.channel === channel && m.thread_ts === undefined);

describe('/ops digest now', () => {
  it('posts the digest of the last 24 hours in the channel, its chart a data_visualization block in it', async () => {
    expect(await ops('digest now')).toContain('The digest is posted here');
    const [digest] = topPostsIn('C0OPS');
    expect(digest).toBeDefined();
    const text = blockText(digest ?? {});
    expect(text).toContain('3 opened · 2 resolved · 2 open');
    expect(text).toContain('*Time to acknowledge* (PagerDuty): median 10m, worst 15m (2)');
    expect(text).toContain('*Time to resolve*: median 1h 30m, worst 2h (2)');
    expect(text).toContain('*Action runs:* 4 · *Denials:* 2');
    expect(text).toContain('• sql: 1 failed, 2 succeeded');
    expect(text).toContain('• http: 1 rejected');
    expect(text).toMatch(/<#C0INCC> SEV2 Disk filling — open 2d( \d+m)?, commander <@U0BOB>/);
    expect(text).toMatch(/<#C0INCD> SEV2 Redis flapping — open 30m( \d+s)?, commander _none_/);
    expect(text).toContain('• bentham since 2026-01-02 03:04 UTC (by <@U0ALICE>)');
    expect(text).toContain(':warning: bentham: warning since 2026-01-02 05:06 UTC');

    // The chart is in the message: 14 days of incidents and action runs, as the PNG drew them; nothing uploaded.
    const chart = ((digest?.blocks ?? []) as { type: string }[]).find(
      (block) => block.type === 'data_visualization',
    ) as
      | {
          title: string;
          chart: {
            type: string;
            series: { name: string; data: { value: number }[] }[];
            axis_config: { categories: string[] };
          };
        }
      | undefined;
    expect(chart?.title).toBe('Incidents and action runs per day (14 days)');
    expect(chart?.chart.type).toBe('bar');
    expect(chart?.chart.axis_config.categories).toHaveLength(14);
    const total = (name: string) =>
      chart?.chart.series
        .find((series) => series.name === name)
        ?.data.reduce((sum, point) => sum + point.value, 0);
    expect([total('Incidents'), total('Action runs')]).toEqual([4, 5]);
    expect(blockProblems(digest?.blocks)).toEqual([]);
    expect(text).not.toContain('in the thread');
    expect(h.slack.of('files.getUploadURLExternal')).toHaveLength(0);
  });

  it('posts the chart as a PNG in its thread where Slack refuses the block (invalid_blocks)', async () => {
    h.slack.rejectedBlocks.add('data_visualization');
    expect(await ops('digest now')).toContain('The digest is posted here');
    // In this channel: the scheduled digest (every 2 s, to C0DIGEST) may be refused meanwhile too.
    const refused = h.slack.calls.filter(
      (call) =>
        call.method === 'chat.postMessage' &&
        call.args.channel === 'C0OPS' &&
        JSON.stringify(call.args.blocks).includes('data_visualization'),
    );
    expect(refused).toHaveLength(1);
    const [digest] = topPostsIn('C0OPS').filter(
      (post) => !JSON.stringify(post.blocks).includes('data_visualization'),
    );
    expect(digest).toBeDefined();
    expect(blockText(digest ?? {})).toContain('3 opened · 2 resolved · 2 open');
    expect(blockText(digest ?? {})).toContain('The chart of the last 14 days is in the thread.');
    const complete = await eventually(() => {
      const call = h.slack.of('files.completeUploadExternal').find((c) => c.channel_id === 'C0OPS');
      expect(call).toBeDefined();
      return call ?? {};
    });
    const files = typeof complete.files === 'string' ? JSON.parse(complete.files) : complete.files;
    const [file] = files as { id: string; title: string }[];
    expect(file?.title).toMatch(/^Incidents and action runs per day/);
    // The chart's thread is the digest's own message, as the outbox recorded its ts.
    const digestTs = await h.db.query<{ ts: string }>(
      `SELECT ts FROM slack_outbox WHERE channel = 'C0OPS' AND ts IS NOT NULL ORDER BY id DESC LIMIT 1`,
    );
    expect(complete.thread_ts).toBe(digestTs.rows[0]?.ts);
    const upload = h.slack.of('upload').find((u) => u.id === file?.id);
    // The bytes arrive as a multipart form: the PNG starts at its signature.
    const body = upload?.bytes as Buffer;
    const signature = Buffer.from('\x89PNG\r\n\x1a\n', 'latin1');
    const start = body.indexOf(signature);
    const png = body.subarray(start, body.indexOf('IEND', start) + 8);
    expect(png.subarray(0, 8)).toEqual(signature);
    expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([720, 300]);
    const getUrl = h.slack.of('files.getUploadURLExternal').find((c) => Number(c.length) === png.length);
    expect(getUrl?.filename).toMatch(/^digest-\d{4}-\d{2}-\d{2}\.png$/);
  });

  it('needs responder or above, and audits the denial', async () => {
    expect(await ops('digest now', 'U0NOBODY')).toContain('needs responder or above');
    const denied = await h.db.query(
      `SELECT * FROM audit_log WHERE event = 'request.denied' AND actor = 'U0NOBODY' AND action = 'digest'`,
    );
    expect(denied.rowCount).toBe(1);
  });
});

describe('/ops digest now covers what the requester may view', () => {
  it('a responder on bentham alone gets bentham’s figures only; an admin gets every service’s', async () => {
    await insertBillingData(Date.now());
    // A denial of no service's: counted in an admin's digest, not in one of bentham alone.
    expect(await ops('digest now', 'U0NOBODY')).toContain('needs responder or above');
    expect(await ops('role grant <@U0CAROL|carol> responder bentham', 'U0ADMIN')).toBe(
      '<@U0CAROL> is now responder on bentham.',
    );

    expect(await ops('digest now', 'U0CAROL', 'C0CAROL')).toContain('The digest is posted here');
    const scoped = topPostsIn('C0CAROL');
    expect(scoped).toHaveLength(1);
    const text = blockText(scoped[0] ?? {});
    expect(text).toMatch(/^Ops digest \(bentham only\): /);
    // inc-a, inc-b, inc-d and inc-f (bentham and billing) opened; inc-e touches billing alone.
    expect(text).toContain('*Incidents:* 4 opened · 3 resolved · 2 open');
    expect(text).toContain('*Time to acknowledge* (PagerDuty): median 5m, worst 5m (1)');
    expect(text).toContain('*Time to resolve*: median 1h, worst 2h (3)');
    expect(text).toContain('*Action runs:* 4 · *Denials:* 2');
    expect(text).toContain('• http: 1 rejected');
    expect(text).toContain('<#C0INCC> SEV2 Disk filling');
    expect(text).toContain('• bentham since 2026-01-02 03:04 UTC (by <@U0ALICE>)');
    expect(text).toContain(':warning: bentham: warning since 2026-01-02 05:06 UTC');
    expect(text).not.toMatch(/billing/i);
    expect(text).not.toContain('C0INCE');

    expect(await ops('digest now', 'U0ADMIN', 'C0ADMIN')).toContain('The digest is posted here');
    const all = topPostsIn('C0ADMIN');
    expect(all).toHaveLength(1);
    const everything = blockText(all[0] ?? {});
    expect(everything).toMatch(/^Ops digest \(all services\): /);
    expect(everything).toContain('*Incidents:* 5 opened · 3 resolved · 3 open');
    expect(everything).toContain('*Time to acknowledge* (PagerDuty): median 15m, worst 20m (3)');
    expect(everything).toContain('*Action runs:* 5 · *Denials:* 4');
    expect(everything).toContain('• http: 1 failed, 1 rejected');
    expect(everything).toContain('<#C0INCE> SEV3 Billing webhooks failing');
    expect(everything).toContain('• billing since 2026-01-03 01:00 UTC (by <@U0BOB>)');
    expect(everything).toContain(':red_circle: billing: critical since 2026-01-03 02:00 UTC');
    expect(everything).toContain(':warning: bentham: warning since 2026-01-02 05:06 UTC');
  });
});

describe('the scheduled digest', () => {
  it('is posted once per slot by two processes', async () => {
    const other = await h.startAnother();
    const slotsBefore = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM digests');
    await eventually(async () => {
      const { rows } = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM digests');
      expect(rows[0]?.n).toBeGreaterThanOrEqual((slotsBefore.rows[0]?.n ?? 0) + 3);
    }, 30_000);
    await other.stop();
    await h.opsbot.stop();
    const { rows } = await h.db.query<{ slot_at: Date }>(
      `SELECT slot_at FROM digests WHERE schedule = 'daily' ORDER BY slot_at`,
    );
    for (const { slot_at } of rows) expect(slot_at.getTime() % 2000).toBe(0);
    expect(topPostsIn('C0DIGEST')).toHaveLength(rows.length);
    // Each with its chart in the message: nothing is uploaded.
    for (const post of topPostsIn('C0DIGEST'))
      expect(JSON.stringify(post.blocks)).toContain('data_visualization');
    expect(h.slack.of('files.completeUploadExternal')).toHaveLength(0);
  });
});

describe('a redelivered digest job', () => {
  /**
   * A stand-in for the outbox that, like the real one, takes a keyed post once: a second deliver of the key,
   * from any process, waits for the same message. It records the posts it took.
   */
  function keyedOutbox() {
    const keys = new Set<string>();
    const posts: string[] = [];
    const texts: string[] = [];
    return {
      posts,
      texts,
      deliver: async (message: OutboxMessage) => {
        const key = message.kind === 'post' ? message.key : undefined;
        if (key === undefined || !keys.has(key)) {
          if (key !== undefined) keys.add(key);
          posts.push(message.channel);
          if (message.kind === 'post') texts.push(blockText(message.content as never));
        }
        return '1.0001';
      },
    };
  }

  /** A digest service on the test's database and `outbox`; `health` stands in for the health checks. */
  function digestService(
    outbox: ReturnType<typeof keyedOutbox>,
    health: () => Promise<HealthLevel | 'unknown'> = async () => 'critical',
  ) {
    const config = parse(configText());
    config.services.other = {};
    return new DigestService({
      config,
      pool: h.db,
      outbox,
      slack: { filesUploadV2: async () => ({ ok: true, files: [] }) },
      rolesOf: async () => ({ services: {} }),
      auditDenial: async () => undefined,
      checkHealth: health,
      log: { info: () => undefined } as never,
    });
  }

  it('posts nothing for a slot already posted', async () => {
    const outbox = keyedOutbox();
    const service = digestService(outbox);
    const { posts, texts } = outbox;
    const slot = new Date('2030-01-01T07:00:00Z');
    expect(await service.postSlot('daily', slot)).toBe(true);
    expect(await service.postSlot('daily', slot)).toBe(false);
    expect(await service.postSlot('weekly', slot)).toBe(true);
    expect(posts).toEqual(['C0DIGEST', 'C0DIGEST']);
    // A service the probe has not recorded is checked when the digest is made.
    expect(texts[0]).toContain(':warning: bentham: warning since');
    expect(texts[0]).toContain(':red_circle: other: critical (checked now)');
  });

  it('run again after its worker died before the message was queued, posts the slot once', async () => {
    const outbox = keyedOutbox();
    // The first run stops in a health check, as a worker killed there would: its message is never queued.
    const held: ((level: HealthLevel) => void)[] = [];
    const first = digestService(outbox, () => new Promise((resolve) => held.push(resolve)));
    const slot = new Date('2030-01-02T07:00:00Z');
    const dying = first.postSlot('daily', slot);
    await eventually(() => expect(held.length).toBeGreaterThan(0));

    expect(await digestService(outbox).postSlot('daily', slot)).toBe(true);
    expect(outbox.posts).toEqual(['C0DIGEST']);
    // Had the first run lived on after all, it finds the slot done and posts nothing more.
    for (const resume of held) resume('ok');
    expect(await dying).toBe(false);
    expect(outbox.posts).toEqual(['C0DIGEST']);
  });
});

describe('the chart figures', () => {
  it('count incidents and runs per day over 14 days, ending today in the workspace zone', async () => {
    await insertBillingData(Date.now());
    const now = new Date();
    const { daily } = await digestFigures(
      h.db,
      { from: new Date(now.getTime() - 86_400_000), to: now },
      [],
      'Europe/London',
    );
    expect(daily).toHaveLength(14);
    expect(daily.at(-1)?.day).toBe(now.toLocaleDateString('sv-SE', { timeZone: 'Europe/London' }));
    expect(daily.reduce((sum, day) => sum + day.incidents, 0)).toBe(6);
    expect(daily.reduce((sum, day) => sum + day.runs, 0)).toBe(6);
    const bentham = await digestFigures(
      h.db,
      { from: new Date(now.getTime() - 86_400_000), to: now },
      ['bentham'],
      'Europe/London',
      ['bentham'],
    );
    expect(bentham.daily.reduce((sum, day) => sum + day.incidents, 0)).toBe(5);
    expect(bentham.daily.reduce((sum, day) => sum + day.runs, 0)).toBe(5);
    expect(bentham.health.map((row) => row.service)).toEqual(['bentham']);
  });
});
