import type { Pool, PoolClient } from 'pg';
import {
  type EventKind,
  type HumanUpdate,
  type Incident,
  type IncidentEvent,
  IncidentEventSchema,
  type IncidentRole,
  IncidentSchema,
  type IncidentStatus,
} from './incident.js';

export interface NewIncident {
  id: string;
  title: string;
  severity: string;
  channelId: string;
  channelName: string;
  declaredBy: string;
  services: string[];
  nextStatusAt: Date;
}

/** A timeline entry to record; `source` makes it idempotent (a message pinned twice is one entry). */
export interface NewEvent {
  kind: EventKind;
  at: Date;
  actor?: string | undefined;
  text: string;
  permalink?: string | undefined;
  source?: string | undefined;
}

/** Fields of an incident that change after it is declared. */
export interface IncidentChanges {
  severity?: string;
  status?: IncidentStatus;
  cardTs?: string;
  commander?: string;
  scribe?: string;
  comms?: string;
}

const COLUMNS: Record<keyof IncidentChanges, string> = {
  severity: 'severity',
  status: 'status',
  cardTs: 'card_ts',
  commander: 'commander',
  scribe: 'scribe',
  comms: 'comms',
};

/**
 * incidents and their timelines (incident_events); their escalations are EscalationStore's. Entries captured
 * from Slack messages, and what holds them on the timeline, are CapturedEntryStore's (capture-store.ts).
 */
export class IncidentStore {
  constructor(private readonly pool: Pool) {}

  async create(incident: NewIncident): Promise<Incident> {
    const { rows } = await this.pool.query(
      `INSERT INTO incidents (id, title, severity, channel_id, channel_name, declared_by, commander, services, next_status_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8) RETURNING *`,
      [
        incident.id,
        incident.title,
        incident.severity,
        incident.channelId,
        incident.channelName,
        incident.declaredBy,
        incident.services,
        incident.nextStatusAt,
      ],
    );
    return IncidentSchema.parse(rows[0]);
  }

  async get(id: string): Promise<Incident | undefined> {
    const { rows } = await this.pool.query('SELECT * FROM incidents WHERE id = $1', [id]);
    return rows[0] ? IncidentSchema.parse(rows[0]) : undefined;
  }

  /** The incident whose channel this is, resolved or not. */
  async byChannel(channelId: string): Promise<Incident | undefined> {
    const { rows } = await this.pool.query('SELECT * FROM incidents WHERE channel_id = $1', [channelId]);
    return rows[0] ? IncidentSchema.parse(rows[0]) : undefined;
  }

  async isOpenChannel(channelId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'SELECT 1 FROM incidents WHERE channel_id = $1 AND resolved_at IS NULL',
      [channelId],
    );
    return (rowCount ?? 0) > 0;
  }

  async update(id: string, changes: IncidentChanges): Promise<Incident> {
    const entries = Object.entries(changes).filter(([, value]) => value !== undefined);
    const sets = entries.map(([key], i) => `${COLUMNS[key as keyof IncidentChanges]} = $${i + 2}`);
    const { rows } = await this.pool.query(
      `UPDATE incidents SET ${sets.join(', ')} WHERE id = $1 RETURNING *`,
      [id, ...entries.map(([, value]) => value)],
    );
    return IncidentSchema.parse(rows[0]);
  }

  async setRole(id: string, role: IncidentRole, user: string): Promise<Incident> {
    return this.update(id, { [role]: user });
  }

  /** A human update: recorded as the latest, and the next status update is one interval from now. */
  async recordUpdate(id: string, update: HumanUpdate, intervalMs: number): Promise<Incident> {
    const { rows } = await this.pool.query(
      `UPDATE incidents SET latest_update = $2, status = $3, last_human_update_at = $4,
              next_status_at = $4::timestamptz + make_interval(secs => $5::double precision / 1000)
        WHERE id = $1 AND resolved_at IS NULL RETURNING *`,
      [id, JSON.stringify(update), update.status, update.at, intervalMs],
    );
    return IncidentSchema.parse(rows[0]);
  }

  async snooze(id: string, until: Date): Promise<void> {
    await this.pool.query('UPDATE incidents SET nudge_snoozed_until = $2 WHERE id = $1', [id, until]);
  }

  /** Open incidents whose status update is due. */
  async due(now: Date): Promise<Incident[]> {
    const { rows } = await this.pool.query(
      'SELECT * FROM incidents WHERE resolved_at IS NULL AND next_status_at <= $1 ORDER BY next_status_at',
      [now],
    );
    return rows.map((row) => IncidentSchema.parse(row));
  }

  async open(): Promise<Incident[]> {
    const { rows } = await this.pool.query(
      'SELECT * FROM incidents WHERE resolved_at IS NULL ORDER BY declared_at',
    );
    return rows.map((row) => IncidentSchema.parse(row));
  }

  /**
   * Claims the status-update slot that was due at `dueAt`: a compare-and-set, so one process wins it. The
   * winner gets the incident and when the previous slot was (or the declaration, for the first). Compared
   * in milliseconds, the precision `dueAt` came back to JavaScript with.
   */
  async claimSlot(
    id: string,
    dueAt: Date,
    intervalMs: number,
    now: Date,
  ): Promise<{ incident: Incident; previous: Date } | undefined> {
    const { rows } = await this.pool.query(
      `UPDATE incidents i
          SET next_status_at = $3::timestamptz + make_interval(secs => $4::double precision / 1000),
              last_status_at = $3, status_slots = i.status_slots + 1
         FROM (SELECT coalesce(last_status_at, declared_at) AS previous FROM incidents WHERE id = $1) p
        WHERE i.id = $1 AND date_trunc('milliseconds', i.next_status_at) = $2 AND i.resolved_at IS NULL
        RETURNING i.*, p.previous`,
      [id, dueAt, now, intervalMs],
    );
    if (!rows[0]) return undefined;
    return { incident: IncidentSchema.parse(rows[0]), previous: rows[0].previous as Date };
  }

  /** Resolves once: undefined when it was already resolved. */
  async resolve(id: string, summary: string, at: Date): Promise<Incident | undefined> {
    const { rows } = await this.pool.query(
      `UPDATE incidents SET status = 'resolved', resolved_at = $3, summary = $2
        WHERE id = $1 AND resolved_at IS NULL RETURNING *`,
      [id, summary, at],
    );
    return rows[0] ? IncidentSchema.parse(rows[0]) : undefined;
  }

  /**
   * Records a timeline entry, in a caller's transaction when `db` is its client (a PagerDuty event, with its
   * other effects). An entry with the same source keeps its kind, time and actor and takes the new text (a
   * run's result, a message pinned again), and a permalink if it had none.
   */
  static async addEventIn(
    db: Pick<PoolClient, 'query'>,
    incidentId: string,
    event: NewEvent,
  ): Promise<IncidentEvent> {
    const { rows } = await db.query(
      `INSERT INTO incident_events (incident_id, kind, at, actor, text, permalink, source)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (incident_id, source) DO UPDATE
         SET text = EXCLUDED.text, permalink = coalesce(incident_events.permalink, EXCLUDED.permalink)
       RETURNING *`,
      [
        incidentId,
        event.kind,
        event.at,
        event.actor ?? null,
        event.text,
        event.permalink ?? null,
        event.source ?? null,
      ],
    );
    return IncidentEventSchema.parse(rows[0]);
  }

  async addEvent(incidentId: string, event: NewEvent): Promise<IncidentEvent> {
    return IncidentStore.addEventIn(this.pool, incidentId, event);
  }

  /** The timeline in order of when things happened. */
  async events(incidentId: string, since?: Date): Promise<IncidentEvent[]> {
    const { rows } = await this.pool.query(
      `SELECT * FROM incident_events WHERE incident_id = $1 AND ($2::timestamptz IS NULL OR at > $2)
        ORDER BY at, id`,
      [incidentId, since ?? null],
    );
    return rows.map((row) => IncidentEventSchema.parse(row));
  }
}
