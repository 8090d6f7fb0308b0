import type { Pool, PoolClient } from 'pg';
import { z } from 'zod';
import { ms } from '../db/interval.js';
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

/** An event the sweeper gave up on: ids only, never the payload. */
export interface GivenUp {
  rowId: string;
  eventId: string;
  eventType: string;
  incidentId: string;
}

/** Unhandled events older than the sweeper's threshold: still retried, and given up on. */
export interface Overdue {
  retrying: number;
  givenUp: number;
}

const Existing = z.object({ id: z.string(), processed: z.boolean() });
const Claimed = z.object({ payload: z.unknown(), processed: z.boolean() });
const GivenUpRow = z.object({
  id: z.string(),
  event_id: z.string(),
  event_type: z.string(),
  incident_id: z.string(),
});
const OverdueRow = z.object({ retrying: z.number(), given_up: z.number() });

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

  /** Unhandled events received more than `olderThanMs` ago and not given up, oldest first. */
  async unhandled(olderThanMs: number, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id::text FROM pagerduty_webhook_events
       WHERE processed_at IS NULL AND given_up_at IS NULL AND received_at < now() - ${ms('$1')}
       ORDER BY id LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Gives up on the unhandled events received more than `olderThanMs` ago; returns the ones given up now.
   * A compare-and-set: each event is returned once, whichever process asks.
   */
  async giveUp(olderThanMs: number): Promise<GivenUp[]> {
    const { rows } = await this.pool.query(
      `UPDATE pagerduty_webhook_events SET given_up_at = now()
       WHERE processed_at IS NULL AND given_up_at IS NULL AND received_at < now() - ${ms('$1')}
       RETURNING id::text, event_id, event_type, incident_id`,
      [olderThanMs],
    );
    return rows.map((row) => {
      const event = GivenUpRow.parse(row);
      return {
        rowId: event.id,
        eventId: event.event_id,
        eventType: event.event_type,
        incidentId: event.incident_id,
      };
    });
  }

  /**
   * Deletes events handled or given up on more than `keepMs` ago: PagerDuty redelivers for far less long,
   * so they no longer serve to recognise a redelivery.
   */
  async prune(keepMs: number): Promise<void> {
    await this.pool.query(
      `DELETE FROM pagerduty_webhook_events
       WHERE processed_at < now() - ${ms('$1')} OR given_up_at < now() - ${ms('$1')}`,
      [keepMs],
    );
  }

  /** How many events are unhandled `olderThanMs` after they arrived, still retried or given up on. */
  async overdue(olderThanMs: number): Promise<Overdue> {
    const { rows } = await this.pool.query(
      `SELECT count(*) FILTER (WHERE given_up_at IS NULL)::int AS retrying,
         count(*) FILTER (WHERE given_up_at IS NOT NULL)::int AS given_up
       FROM pagerduty_webhook_events
       WHERE processed_at IS NULL AND received_at < now() - ${ms('$1')}`,
      [olderThanMs],
    );
    const counts = OverdueRow.parse(rows[0]);
    return { retrying: counts.retrying, givenUp: counts.given_up };
  }
}
