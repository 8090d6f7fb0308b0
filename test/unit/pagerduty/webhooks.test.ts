import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { signBody } from '../../../src/pagerduty/signature.js';
import type { Delivery } from '../../../src/pagerduty/webhook-store.js';
import { PagerDutyWebhooks, type WebhookAnswer } from '../../../src/pagerduty/webhooks.js';
import { collectInto } from '../../support/collect.js';
import { incidentEvent } from '../../support/pagerduty-webhooks.js';

const SECRET = 'unit-secret';

/** The webhook core with a store and queue in memory, and its log lines. */
function setUp(options: { secrets?: string[]; failStore?: boolean; failQueue?: boolean } = {}) {
  const lines: string[] = [];
  const log = createLogger('debug', collectInto(lines));
  const rows = new Map<string, { rowId: string; processed: boolean }>();
  const queued: string[] = [];
  const failures: { store: unknown[]; queue: unknown[] } = { store: [], queue: [] };
  const webhooks = new PagerDutyWebhooks({
    secrets: options.secrets ?? [SECRET],
    store: {
      async record(delivery: Delivery): Promise<string | undefined> {
        if (options.failStore) throw new Error('connection refused');
        if (rows.has(delivery.event.id)) return undefined;
        const row = { rowId: String(rows.size + 1), processed: false };
        rows.set(delivery.event.id, row);
        return row.rowId;
      },
      async unhandledRow(eventId: string): Promise<string | undefined> {
        const row = rows.get(eventId);
        return row && !row.processed ? row.rowId : undefined;
      },
    },
    jobs: {
      arrived: () => undefined,
      answered: () => undefined,
      async add(rowId) {
        if (options.failQueue) throw new Error('PostgreSQL is away');
        queued.push(rowId);
      },
    },
    async requeue(rowId) {
      queued.push(`again ${rowId}`);
    },
    storeFailed: (error) => failures.store.push(error),
    queueFailed: (error) => failures.queue.push(error),
    log,
  });
  /** The answer as PagerDuty gets it; what comes after it is recorded in `after`. */
  const after: (() => Promise<void>)[] = [];
  const receive = async (
    body: string,
    signature: string | undefined = signBody(body, SECRET),
    webhookId?: string,
  ): Promise<Omit<WebhookAnswer, 'afterAnswer'>> => {
    const { afterAnswer, ...answer } = await webhooks.receive({
      rawBody: Buffer.from(body),
      signature,
      webhookId,
    });
    after.push(afterAnswer);
    return answer;
  };
  /** Runs what the answers left for later, as the route does once each answer is sent. */
  const settle = async () => {
    for (const work of after.splice(0)) await work();
  };
  return { receive, settle, rows, queued, failures, lines };
}

const triggered = JSON.stringify(incidentEvent('incident.triggered', { id: 'QUNIT1' }));

describe('PagerDutyWebhooks.receive', () => {
  it('answers 503 with an instruction in the log when no secret is set, and stores nothing', async () => {
    const { receive, rows, lines } = setUp({ secrets: [] });
    expect((await receive(triggered)).status).toBe(503);
    expect(rows.size).toBe(0);
    expect(lines.join('')).toContain('PAGERDUTY_WEBHOOK_SECRET is not set');
  });

  it('stores a signed event and answers before handing it on; a redelivery is queued again only while it is unhandled', async () => {
    const { receive, settle, rows, queued } = setUp();
    expect(await receive(triggered)).toEqual({ status: 202, body: { ok: true } });
    expect(queued).toEqual([]);
    await settle();
    expect(queued).toEqual(['1']);
    expect(await receive(triggered)).toEqual({ status: 200, body: { ok: true, duplicate: true } });
    await settle();
    expect(queued).toEqual(['1', 'again 1']);
    (rows.get(JSON.parse(triggered).event.id) as { processed: boolean }).processed = true;
    expect((await receive(triggered)).status).toBe(200);
    await settle();
    expect(queued).toEqual(['1', 'again 1']);
  });

  it('answers 503 when the event cannot be stored, so PagerDuty retries; 202 when it is stored but cannot be handed on', async () => {
    const down = setUp({ failStore: true });
    expect((await down.receive(triggered)).status).toBe(503);
    expect(down.failures.store).toHaveLength(1);
    const away = setUp({ failQueue: true });
    expect((await away.receive(triggered)).status).toBe(202);
    await away.settle();
    expect(away.rows.size).toBe(1);
    expect(away.failures.queue).toHaveLength(1);
  });

  it('checks the signature before anything else, then the webhook id, then the body', async () => {
    const { receive, rows } = setUp();
    expect((await receive('not json', 'v1=00')).status).toBe(401);
    expect((await receive('not json')).status).toBe(400);
    expect((await receive(triggered, undefined, 'has spaces and : colons')).status).toBe(400);
    expect(rows.size).toBe(0);
  });
});
