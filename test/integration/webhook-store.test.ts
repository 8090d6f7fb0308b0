import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { createPool } from '../../src/db/pool.js';
import { createLogger } from '../../src/log.js';
import { parseWebhook } from '../../src/pagerduty/webhook-event.js';
import { type Delivery, WebhookStore } from '../../src/pagerduty/webhook-store.js';
import { createTestDatabase } from '../support/databases.js';
import { incidentEvent } from '../support/pagerduty-webhooks.js';

const log = createLogger('silent');
let database: { url: string; drop(): Promise<void> };
let pool: ReturnType<typeof createPool>;
let store: WebhookStore;

beforeAll(async () => {
  database = await createTestDatabase('opsbot_webhook_store');
  pool = createPool(database.url, log, 4);
  await migrate(pool);
  store = new WebhookStore(pool);
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

/** A delivery of a fresh trigger of `incidentId`, as the webhook core hands it to the store. */
function delivery(incidentId: string, webhookId: string, title?: string): Delivery {
  const body = incidentEvent('incident.triggered', { id: incidentId, ...(title ? { title } : {}) });
  const parsed = parseWebhook(body);
  if (parsed.kind !== 'event') throw new Error('not an event');
  return { webhookId, event: parsed.event, raw: body.event };
}

const stored = async (incidentId: string) =>
  Number(
    (await pool.query('SELECT count(*) FROM pagerduty_webhook_events WHERE incident_id = $1', [incidentId]))
      .rows[0].count,
  );

describe('WebhookStore.record under a burst', () => {
  it('stores each event once, whether its redeliveries share its insert or come in another', async () => {
    const deliveries = Array.from({ length: 300 }, (_, i) => delivery(`QBATCH${i}`, `wh-batch-${i}`));
    // Every tenth delivered twice at once, and again in reverse order: the same keys in two batches.
    const again = deliveries.filter((_, i) => i % 10 === 0);
    const results = await Promise.all(
      [...deliveries, ...again, ...[...again].reverse()].map((one) => store.record(one)),
    );
    const fresh = results.filter((id) => id !== undefined);
    expect(fresh).toHaveLength(300);
    expect(new Set(fresh).size).toBe(300);
    for (const i of [0, 10, 150, 299]) expect(await stored(`QBATCH${i}`)).toBe(1);
  });

  it('refuses only the delivery PostgreSQL cannot take, not the others stored with it', async () => {
    // jsonb refuses \\u0000 in a string.
    const bad = delivery('QBAD0', 'wh-bad-0', 'nul \u0000 inside');
    const good = [delivery('QGOOD1', 'wh-good-1'), delivery('QGOOD2', 'wh-good-2')];
    // Added in one turn, all five share one insert; the bad one fails it, so each is then tried alone.
    const first = [delivery('QFIRST1', 'wh-first-1'), delivery('QFIRST2', 'wh-first-2')];
    const results = await Promise.allSettled(
      [...first, good[0], bad, good[1]].map((one) => store.record(one as Delivery)),
    );
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect(await stored('QGOOD1')).toBe(1);
    expect(await stored('QGOOD2')).toBe(1);
    expect(await stored('QBAD0')).toBe(0);
  });
});
