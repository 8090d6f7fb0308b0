import type { Pool, PoolClient } from 'pg';
import { z } from 'zod';
import { incidentIdOf, type PagerDutyEvent } from './webhook-event.js';

/** A delivery to record: the event as PagerDuty sent it, checked, and its X-Webhook-Id when there was one. */
export interface Delivery {
  webhookId: string | undefined;
  event: PagerDutyEvent;
  /** The envelope's `event` object as received. */
  raw: unknown;
}

/** What recording a delivery found: a new event, or one already stored (and whether it was handled). */
export interface Recorded {
  rowId: string;
  fresh: boolean;
  processed: boolean;
}

const Existing = z.object({ id: z.string(), processed: z.boolean() });
const Claimed = z.object({ payload: z.unknown(), processed: z.boolean() });

/** pagerduty_webhook_events: each PagerDuty event once, whatever how often it is delivered. */
export class WebhookStore {
  constructor(private readonly pool: Pool) {}

  /** Inserts the event unless its event id or X-Webhook-Id is already stored. */
  async record(delivery: Delivery): Promise<Recorded> {
    const { event, webhookId } = delivery;
    const inserted = await this.pool.query<{ id: string }>(
      `INSERT INTO pagerduty_webhook_events (event_id, webhook_id, event_type, incident_id, occurred_at, payload)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT DO NOTHING
       RETURNING id::text`,
      [event.id, webhookId ?? null, event.type, incidentIdOf(event), event.occurredAt, delivery.raw],
    );
    if (inserted.rows[0]) return { rowId: inserted.rows[0].id, fresh: true, processed: false };
    const { rows } = await this.pool.query(
      `SELECT id::text, processed_at IS NOT NULL AS processed FROM pagerduty_webhook_events
       WHERE event_id = $1 OR webhook_id = $2 ORDER BY id LIMIT 1`,
      [event.id, webhookId ?? null],
    );
    const existing = Existing.parse(rows[0]);
    return { rowId: existing.id, fresh: false, processed: existing.processed };
  }

  /** Locks a stored event for handling; undefined when it is already handled (a redelivered job). */
  async claim(client: PoolClient, rowId: string): Promise<{ payload: unknown } | undefined> {
    const { rows } = await client.query(
      `SELECT payload, processed_at IS NOT NULL AS processed FROM pagerduty_webhook_events
       WHERE id = $1 FOR UPDATE`,
      [rowId],
    );
    if (!rows[0]) throw new Error(`PagerDuty event ${rowId} is not stored`);
    const claimed = Claimed.parse(rows[0]);
    return claimed.processed ? undefined : { payload: claimed.payload };
  }

  async markProcessed(client: PoolClient, rowId: string): Promise<void> {
    await client.query('UPDATE pagerduty_webhook_events SET processed_at = now() WHERE id = $1', [rowId]);
  }
}
