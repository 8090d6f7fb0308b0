import type { Pool, PoolClient } from 'pg';
import { z } from 'zod';
import { ms } from '../db/interval.js';
import { withTransaction } from '../db/transaction.js';
import { ALERT_STATUSES, Alert, type Change, type Note, Storm, type StormView } from './alert.js';
import { ALERT_COLUMNS } from './alert-sql.js';

/** Arbitrary constant: the first key of the advisory locks that serialise the events of one PagerDuty service. */
const SERVICE_LOCK_CLASS = 7_106_116;

/** An incident's state as an event reports it. */
export interface Snapshot {
  id: string;
  number: number | null;
  title: string;
  status: Alert['status'];
  urgency: string | null;
  priority: string | null;
  serviceId: string;
  serviceName: string | null;
  opsbotService: string | null;
  assignees: { id: string; name: string }[];
  htmlUrl: string;
  escalationPolicyId: string | null;
  change: Change;
  /** When the event happened in PagerDuty. */
  at: Date;
}

const STORM_COLUMNS = `id::text AS id, service_id, channel, card_key, card_ts, started_at, last_trigger_at, rolled_up,
  posted_before, rendered_at, bulk_kind, bulk_by, bulk_since, bulk_result`;

const Counted = z.object({ status: z.enum(ALERT_STATUSES), n: z.number().int() });
const Newest = Alert.pick({ id: true, number: true, title: true, status: true, html_url: true });

/**
 * pagerduty_incidents and pagerduty_storms. The methods taking a client run on the caller's transaction,
 * after lockService: one PagerDuty service's events are handled one at a time, across processes. The others
 * (for button handlers) run on the pool. Declaring an opsbot incident for a row is DeclarationStore's.
 */
export class AlertStore {
  constructor(private readonly pool: Pool) {}

  /** Holds the service's lock until the transaction ends. */
  async lockService(tx: PoolClient, serviceId: string): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SERVICE_LOCK_CLASS, serviceId]);
  }

  async get(db: Pick<PoolClient, 'query'>, id: string): Promise<Alert | undefined> {
    const { rows } = await db.query(`SELECT ${ALERT_COLUMNS} FROM pagerduty_incidents WHERE id = $1`, [id]);
    return rows[0] ? Alert.parse(rows[0]) : undefined;
  }

  /** Runs `work` in a transaction holding the service's lock: a card edit from outside the event worker. */
  underServiceLock<T>(serviceId: string, work: (tx: PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, async (tx) => {
      await this.lockService(tx, serviceId);
      return work(tx);
    });
  }

  /** A PagerDuty incident's row, outside any transaction (for button handlers). */
  find(id: string): Promise<Alert | undefined> {
    return this.get(this.pool, id);
  }

  /**
   * Records the incident as the event has it, unless a newer event already did (PagerDuty orders events per
   * incident, but a retried delivery can arrive late). Returns the row and whether it changed.
   */
  async apply(tx: PoolClient, s: Snapshot): Promise<{ alert: Alert; changed: boolean }> {
    const values = [
      s.id,
      s.number,
      s.title,
      s.status,
      s.urgency,
      s.priority,
      s.serviceId,
      s.serviceName,
      s.opsbotService,
      JSON.stringify(s.assignees),
      s.htmlUrl,
      s.escalationPolicyId,
      JSON.stringify(s.change),
      s.at,
    ];
    const { rows } = await tx.query(
      `INSERT INTO pagerduty_incidents (id, number, title, status, urgency, priority, service_id, service_name,
         opsbot_service, assignees, html_url, escalation_policy_id, last_change, first_seen_at, state_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)
       ON CONFLICT (id) DO UPDATE SET
         number = EXCLUDED.number, title = EXCLUDED.title, status = EXCLUDED.status, urgency = EXCLUDED.urgency,
         priority = EXCLUDED.priority, service_name = EXCLUDED.service_name,
         opsbot_service = EXCLUDED.opsbot_service, assignees = EXCLUDED.assignees, html_url = EXCLUDED.html_url,
         escalation_policy_id = EXCLUDED.escalation_policy_id, last_change = EXCLUDED.last_change,
         state_at = EXCLUDED.state_at, updated_at = now()
       WHERE pagerduty_incidents.state_at <= EXCLUDED.state_at
       RETURNING ${ALERT_COLUMNS}`,
      values,
    );
    if (rows[0]) return { alert: Alert.parse(rows[0]), changed: true };
    // Older than what is recorded: it can only tell when the incident was first seen.
    const { rows: kept } = await tx.query(
      `UPDATE pagerduty_incidents SET first_seen_at = LEAST(first_seen_at, $2) WHERE id = $1
       RETURNING ${ALERT_COLUMNS}`,
      [s.id, s.at],
    );
    return { alert: Alert.parse(kept[0]), changed: false };
  }

  /** Records a note unless a newer one is recorded; undefined when opsbot has no row for the incident. */
  async note(
    tx: PoolClient,
    id: string,
    note: Note,
    at: Date,
  ): Promise<{ alert: Alert; changed: boolean } | undefined> {
    const { rows } = await tx.query(
      `UPDATE pagerduty_incidents SET latest_note = $2, note_at = $3, updated_at = now()
       WHERE id = $1 AND (note_at IS NULL OR note_at <= $3)
       RETURNING ${ALERT_COLUMNS}`,
      [id, JSON.stringify(note), at],
    );
    if (rows[0]) return { alert: Alert.parse(rows[0]), changed: true };
    const alert = await this.get(tx, id);
    return alert ? { alert, changed: false } : undefined;
  }

  /** Gives the incident its own card. */
  async ownCard(tx: PoolClient, id: string, channel: string, cardKey: string): Promise<Alert> {
    const { rows } = await tx.query(
      `UPDATE pagerduty_incidents SET channel = $2, card_key = $3, updated_at = now() WHERE id = $1
       RETURNING ${ALERT_COLUMNS}`,
      [id, channel, cardKey],
    );
    return Alert.parse(rows[0]);
  }

  async setCardTs(tx: PoolClient, id: string, ts: string): Promise<void> {
    await tx.query('UPDATE pagerduty_incidents SET card_ts = $2 WHERE id = $1', [id, ts]);
  }

  /** The service's storm going on at `at`: it started before `at + windowMs` and its last trigger is after `at - windowMs`. */
  async activeStorm(
    tx: PoolClient,
    serviceId: string,
    at: Date,
    windowMs: number,
  ): Promise<Storm | undefined> {
    const { rows } = await tx.query(
      `SELECT ${STORM_COLUMNS} FROM pagerduty_storms
       WHERE service_id = $1
         AND last_trigger_at > $2::timestamptz - ${ms('$3')}
         AND started_at < $2::timestamptz + ${ms('$3')}
       ORDER BY last_trigger_at DESC LIMIT 1`,
      [serviceId, at, windowMs],
    );
    return rows[0] ? Storm.parse(rows[0]) : undefined;
  }

  /**
   * How many of the service's incidents first seen less than `windowMs` from `at`, either side, have cards of
   * their own (either side: events of different incidents may be handled out of order).
   */
  async ownCardsInWindow(tx: PoolClient, serviceId: string, at: Date, windowMs: number): Promise<number> {
    const { rows } = await tx.query(
      `SELECT count(*)::int AS n FROM pagerduty_incidents
       WHERE service_id = $1 AND card_key IS NOT NULL
         AND first_seen_at > $2::timestamptz - ${ms('$3')}
         AND first_seen_at < $2::timestamptz + ${ms('$3')}`,
      [serviceId, at, windowMs],
    );
    return z.object({ n: z.number().int() }).parse(rows[0]).n;
  }

  /** Starts a storm with `alertId` as its first rolled-up incident. */
  async startStorm(
    tx: PoolClient,
    alertId: string,
    storm: { serviceId: string; channel: string; at: Date; postedBefore: number },
  ): Promise<Storm> {
    const { rows } = await tx.query(
      `WITH next AS (SELECT nextval(pg_get_serial_sequence('pagerduty_storms', 'id')) AS id)
       INSERT INTO pagerduty_storms (id, service_id, channel, card_key, started_at, last_trigger_at, rolled_up,
         posted_before)
       SELECT next.id, $1, $2, 'pagerduty-storm:' || next.id, $3, $3, 1, $4 FROM next
       RETURNING ${STORM_COLUMNS}`,
      [storm.serviceId, storm.channel, storm.at, storm.postedBefore],
    );
    const started = Storm.parse(rows[0]);
    await this.joinStorm(tx, alertId, started.id);
    return started;
  }

  /** Adds an incident to a running storm. */
  async growStorm(tx: PoolClient, alertId: string, stormId: string, at: Date): Promise<void> {
    await tx.query(
      `UPDATE pagerduty_storms SET rolled_up = rolled_up + 1, last_trigger_at = GREATEST(last_trigger_at, $2)
       WHERE id = $1`,
      [stormId, at],
    );
    await this.joinStorm(tx, alertId, stormId);
  }

  /** A storm's row, outside any transaction (for button handlers). */
  findStorm(stormId: string): Promise<Storm | undefined> {
    return this.getStorm(this.pool, stormId);
  }

  async getStorm(db: Pick<PoolClient, 'query'>, stormId: string): Promise<Storm | undefined> {
    const { rows } = await db.query(`SELECT ${STORM_COLUMNS} FROM pagerduty_storms WHERE id = $1`, [stormId]);
    return rows[0] ? Storm.parse(rows[0]) : undefined;
  }

  /** How long until the roll-up card may be edited again (0: now), and when it was last queued (ms). */
  async stormEditDue(
    tx: PoolClient,
    stormId: string,
    everyMs: number,
  ): Promise<{ waitMs: number; since: string }> {
    const { rows } = await tx.query(
      `SELECT GREATEST(0, EXTRACT(EPOCH FROM rendered_at + ${ms('$2')} - now()) * 1000)::float8 AS wait_ms,
         (EXTRACT(EPOCH FROM rendered_at) * 1000)::bigint::text AS since
       FROM pagerduty_storms WHERE id = $1`,
      [stormId, everyMs],
    );
    const due = z.object({ wait_ms: z.number(), since: z.string() }).parse(rows[0]);
    return { waitMs: due.wait_ms, since: due.since };
  }

  async markStormRendered(tx: PoolClient, stormId: string): Promise<void> {
    await tx.query('UPDATE pagerduty_storms SET rendered_at = now() WHERE id = $1', [stormId]);
  }

  async setStormTs(tx: PoolClient, stormId: string, ts: string): Promise<void> {
    await tx.query('UPDATE pagerduty_storms SET card_ts = $2 WHERE id = $1', [stormId, ts]);
  }

  /** What the storm's roll-up card shows: counts by status and the newest `listed` incidents. */
  async stormView(tx: PoolClient, stormId: string, listed: number): Promise<StormView> {
    const storm = await this.getStorm(tx, stormId);
    if (!storm) throw new Error(`PagerDuty storm ${stormId} is not stored`);
    const counted = await tx.query(
      'SELECT status, count(*)::int AS n FROM pagerduty_incidents WHERE storm_id = $1 GROUP BY status',
      [stormId],
    );
    const byStatus = { triggered: 0, acknowledged: 0, resolved: 0 };
    for (const row of counted.rows) {
      const { status, n } = Counted.parse(row);
      byStatus[status] = n;
    }
    const newest = await tx.query(
      `SELECT id, number, title, status, html_url, service_name, opsbot_service FROM pagerduty_incidents
       WHERE storm_id = $1 ORDER BY first_seen_at DESC, number DESC NULLS LAST LIMIT $2`,
      [stormId, listed],
    );
    const first = newest.rows[0] as
      | { service_name?: string | null; opsbot_service?: string | null }
      | undefined;
    return {
      storm,
      serviceName: first?.service_name ?? null,
      opsbotService: first?.opsbot_service ?? null,
      byStatus,
      newest: newest.rows.map((row) => Newest.parse(row)),
    };
  }

  private async joinStorm(tx: PoolClient, alertId: string, stormId: string): Promise<void> {
    await tx.query('UPDATE pagerduty_incidents SET storm_id = $2, updated_at = now() WHERE id = $1', [
      alertId,
      stormId,
    ]);
  }
}
