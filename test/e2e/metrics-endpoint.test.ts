import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { postSigned, slashBody } from '../support/signed-requests.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

async function scrape(): Promise<string> {
  const response = await fetch(`${h.url()}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

describe("a running opsbot's /metrics", () => {
  it('times Slack acks, counts PagerDuty webhooks and reads runs, queues and health from their stores', async () => {
    const answered = await postSigned(
      h.url(),
      slashBody('help', 'U0ALICE', { responseUrl: h.slack.responseUrl() }),
    );
    expect(answered.status).toBe(200);
    const badSignature = await postSigned(
      h.url(),
      slashBody('help', 'U0ALICE', { responseUrl: h.slack.responseUrl() }),
      {
        signature: 'v0=0000',
      },
    );
    expect(badSignature.status).toBe(401);
    // No PAGERDUTY_WEBHOOK_SECRET here: opsbot answers 503.
    const webhook = await fetch(`${h.url()}/webhooks/pagerduty`, { method: 'POST', body: '{}' });
    expect(webhook.status).toBe(503);
    await h.db.query(
      `INSERT INTO service_health (service, level, since, checked_at) VALUES ('bentham', 'critical', now(), now()),
       ('gone-from-ops-yml', 'warning', now(), now())`,
    );

    const text = await eventually(async () => {
      const scraped = await scrape();
      expect(scraped).toContain('opsbot_slack_requests_total{verb="help",outcome="ok"} 1');
      return scraped;
    });
    expect(text).toContain('opsbot_slack_ack_duration_seconds_count{status="200"} 1');
    expect(text).toContain('opsbot_slack_ack_duration_seconds_count{status="401"} 1');
    expect(text).toContain('opsbot_pagerduty_webhooks_total{status="503"} 1');
    for (const queue of ['ops-actions', 'pagerduty-events', 'ops-runbooks', 'ops-incident-slots']) {
      expect(text).toContain(`opsbot_queue_jobs{queue="${queue}",state="waiting"} 0`);
      expect(text).toContain(`opsbot_queue_oldest_waiting_seconds{queue="${queue}"} 0`);
    }
    // Only the services ops.yml configures.
    expect(text).toContain('opsbot_service_health_level{service="bentham"} 2');
    expect(text).not.toContain('gone-from-ops-yml');
    expect(text).toMatch(/^# TYPE opsbot_slack_outbox_sends_total counter$/m);
  });

  it('exports every metric the Grafana dashboard queries', async () => {
    const dashboard = await readFile(join(import.meta.dirname, '../../deploy/grafana/opsbot.json'), 'utf8');
    const queried = new Set(dashboard.match(/\bopsbot_[a-z0-9_]+/g) ?? []);
    const text = await scrape();
    const exported = new Set(
      [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name = '', type]) =>
        type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
      ),
    );
    for (const name of queried) expect(exported, name).toContain(name);
  });
});
