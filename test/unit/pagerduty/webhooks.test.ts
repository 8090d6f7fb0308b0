import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { signBody } from '../../../src/pagerduty/signature.js';
import type { Delivery, Recorded } from '../../../src/pagerduty/webhook-store.js';
import { PagerDutyWebhooks } from '../../../src/pagerduty/webhooks.js';
import { incidentEvent } from '../../support/pagerduty-webhooks.js';

const SECRET = 'unit-secret';

/** The webhook core with a store and queue in memory, and its log lines. */
function setUp(options: { secrets?: string[]; failStore?: boolean; failQueue?: boolean } = {}) {
  const lines: string[] = [];
  const log = createLogger(
    'debug',
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  const rows = new Map<string, { rowId: string; processed: boolean }>();
  const queued: string[] = [];
  const webhooks = new PagerDutyWebhooks({
    secrets: options.secrets ?? [SECRET],
    store: {
      async record(delivery: Delivery): Promise<Recorded> {
        if (options.failStore) throw new Error('connection refused');
        const existing = rows.get(delivery.event.id);
        if (existing) return { ...existing, fresh: false };
        const row = { rowId: String(rows.size + 1), processed: false };
        rows.set(delivery.event.id, row);
        return { ...row, fresh: true };
      },
    },
    async enqueue(rowId) {
      if (options.failQueue) throw new Error('Redis is away');
      queued.push(rowId);
    },
    log,
  });
  const receive = (
    body: string,
    signature: string | undefined = signBody(body, SECRET),
    webhookId?: string,
  ) => webhooks.receive({ rawBody: Buffer.from(body), signature, webhookId });
  return { receive, rows, queued, lines };
}

const triggered = JSON.stringify(incidentEvent('incident.triggered', { id: 'QUNIT1' }));

describe('PagerDutyWebhooks.receive', () => {
  it('answers 503 with an instruction in the log when no secret is set, and stores nothing', async () => {
    const { receive, rows, lines } = setUp({ secrets: [] });
    expect((await receive(triggered)).status).toBe(503);
    expect(rows.size).toBe(0);
    expect(lines.join('')).toContain('PAGERDUTY_WEBHOOK_SECRET is not set');
  });

  it('stores and queues a signed event, and queues a redelivery again only while it is unhandled', async () => {
    const { receive, rows, queued } = setUp();
    expect(await receive(triggered)).toEqual({ status: 202, body: { ok: true } });
    expect(await receive(triggered)).toEqual({ status: 200, body: { ok: true, duplicate: true } });
    expect(queued).toEqual(['1', '1']);
    (rows.get(JSON.parse(triggered).event.id) as { processed: boolean }).processed = true;
    expect((await receive(triggered)).status).toBe(200);
    expect(queued).toEqual(['1', '1']);
  });

  it('answers 503 when the event cannot be stored or queued, so PagerDuty retries', async () => {
    expect((await setUp({ failStore: true }).receive(triggered)).status).toBe(503);
    const away = setUp({ failQueue: true });
    expect((await away.receive(triggered)).status).toBe(503);
    expect(away.rows.size).toBe(1);
  });

  it('checks the signature before anything else, then the webhook id, then the body', async () => {
    const { receive, rows } = setUp();
    expect((await receive('not json', 'v1=00')).status).toBe(401);
    expect((await receive('not json')).status).toBe(400);
    expect((await receive(triggered, undefined, 'has spaces and : colons')).status).toBe(400);
    expect(rows.size).toBe(0);
  });
});
