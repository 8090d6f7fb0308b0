import type { Pool, PoolClient } from 'pg';
import { z } from 'zod';
import { Batcher } from '../batcher.js';
import { ms } from '../db/interval.js';
import { isPostgresUnreachable } from '../outages.js';
import { incidentIdOf, type PagerDutyEvent } from './webhook-event.js';

/** A delivery to record: the event as PagerDuty sent it, checked, and its X-Webhook-Id when there was one. */
export interface Delivery {
  webhookId: string | undefined;
  event: PagerDutyEvent;
  /** The envelope's `event` object as received. */
  raw: unknown;
}

/** What inserting one delivery came to: its new row's id (undefined for a redelivery), or its error. */
type Inserted = { rowId: string | undefined } | { error: unknown };

/**
 * Deliveries stored by one statement at most: a burst of 200 read in one turn goes in four, the first stored
 * while the rest are still being read.
 */
const BATCH_ROWS = 50;
const BATCHES_AT_ONCE = 4;
const COLUMNS = 6;

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

const Existing = z.object({ id: z.string() });
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
  /** Deliveries arriving together are stored together: one insert and one commit for many. */
  private readonly inserts = new Batcher<Delivery, Inserted>((deliveries) => this.insertAll(deliveries), {
    maxItems: BATCH_ROWS,
    concurrency: BATCHES_AT_ONCE,
  });

  constructor(private readonly pool: Pool) {}

  /**
   * Stores the event unless its event id or X-Webhook-Id is already stored, with one insert (shared with the
   * deliveries arriving at the same time). Returns the new row's id, or undefined for a redelivery.
   */
  async record(delivery: Delivery): Promise<string | undefined> {
    const inserted = await this.inserts.add(delivery);
    if ('error' in inserted) throw inserted.error;
    return inserted.rowId;
  }

  /**
   * One INSERT … ON CONFLICT DO NOTHING for the batch; a delivery repeated within it is a redelivery. When
   * PostgreSQL refuses the statement for another reason than being away, each delivery is tried alone, so
   * one it cannot take does not fail the others.
   */
  private async insertAll(deliveries: Delivery[]): Promise<Inserted[]> {
    const seen = new Set<string>();
    const first = deliveries.map((delivery) => {
      const keys = [
        `event:${delivery.event.id}`,
        ...(delivery.webhookId ? [`webhook:${delivery.webhookId}`] : []),
      ];
      if (keys.some((key) => seen.has(key))) return false;
      for (const key of keys) seen.add(key);
      return true;
    });
    const rows = deliveries.filter((_, i) => first[i]);
    try {
      const ids = await this.insertRows(rows);
      return deliveries.map((delivery, i) => ({ rowId: first[i] ? ids.get(delivery.event.id) : undefined }));
    } catch (error) {
      if (rows.length === 1 || isPostgresUnreachable(error)) return deliveries.map(() => ({ error }));
      return Promise.all(
        deliveries.map((delivery, i) =>
          first[i] ? this.insertAll([delivery]).then((alone) => alone[0] as Inserted) : { rowId: undefined },
        ),
      );
    }
  }

  /** Inserts the rows that are not stored yet; returns the new rows' ids by event id. */
  private async insertRows(rows: Delivery[]): Promise<Map<string, string>> {
    const params: unknown[] = [];
    // In event id order: two batches holding the same events (a redelivery racing the delivery) take their
    // keys in the same order, so one waits for the other instead of deadlocking.
    const ordered = [...rows].sort((a, b) =>
      a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0,
    );
    const values = ordered.map(({ event, webhookId, raw }, row) => {
      params.push(event.id, webhookId ?? null, event.type, incidentIdOf(event), event.occurredAt, raw);
      const at = row * COLUMNS;
      return `(${Array.from({ length: COLUMNS }, (_, column) => `$${at + column + 1}`).join(', ')})`;
    });
    const inserted = await this.pool.query<{ id: string; event_id: string }>(
      `INSERT INTO pagerduty_webhook_events (event_id, webhook_id, event_type, incident_id, occurred_at, payload)
       VALUES ${values.join(', ')}
       ON CONFLICT DO NOTHING
       RETURNING id::text, event_id`,
      params,
    );
    return new Map(inserted.rows.map((row) => [row.event_id, row.id]));
  }

  /** The row of a stored event (by event id or X-Webhook-Id) while no worker has handled it. */
  async unhandledRow(eventId: string, webhookId: string | undefined): Promise<string | undefined> {
    const { rows } = await this.pool.query(
      `SELECT id::text FROM pagerduty_webhook_events
       WHERE (event_id = $1 OR webhook_id = $2) AND processed_at IS NULL ORDER BY id LIMIT 1`,
      [eventId, webhookId ?? null],
    );
    return rows[0] ? Existing.parse(rows[0]).id : undefined;
  }

  /** Tells the worker processes (LISTEN `channel`) that events were stored: one notification, no payload. */
  async announceStored(channel: string): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, NULL)', [channel]);
  }

  /** Events no worker has handled nor given up on, after row `afterId`, oldest first. */
  async unhandledAfter(afterId: string, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query(
      `SELECT id::text FROM pagerduty_webhook_events
       WHERE processed_at IS NULL AND given_up_at IS NULL AND id > $1 ORDER BY id LIMIT $2`,
      [afterId, limit],
    );
    return rows.map((row) => Existing.parse(row).id);
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
