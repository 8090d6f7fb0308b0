import type { Pool } from 'pg';
import { type Followup, FollowupSchema } from './followup.js';

/** The columns every read returns, the incident's title and channel joined in. */
const SELECT = `
  SELECT f.id, f.incident_id, i.title AS incident_title, i.channel_id AS incident_channel, f.text, f.owner,
         to_char(f.due_on, 'YYYY-MM-DD') AS due_on, f.created_by, f.created_at, f.source, f.closed_by,
         f.closed_at, f.reminded_at, f.list_item_id, f.list_closed
    FROM followups f JOIN incidents i ON i.id = f.incident_id`;

/** How long a worker mirroring a follow-up to the Slack List holds it. */
const MIRROR_LEASE = "interval '1 minute'";

/** A follow-up's row as stored; `due` is YYYY-MM-DD. */
export interface FollowupRow {
  incidentId: string;
  text: string;
  owner: string | null;
  due: string | null;
  createdBy: string;
  source: string | null;
}

/**
 * Follow-ups in PostgreSQL, opsbot's truth about them. `openFor` is the read other parts of opsbot use (the
 * incident canvas, catch-up); closing and reminding are compare-and-sets, so a double click or two workers
 * change a follow-up once.
 */
export class FollowupStore {
  constructor(private readonly pool: Pick<Pool, 'query'>) {}

  /** The open follow-ups of an incident, oldest first. */
  async openFor(incidentId: string): Promise<Followup[]> {
    return this.read(`${SELECT} WHERE f.incident_id = $1 AND f.closed_at IS NULL ORDER BY f.id`, [
      incidentId,
    ]);
  }

  /** Every follow-up of an incident, open ones first, then in the order they were added. */
  async ofIncident(incidentId: string): Promise<Followup[]> {
    return this.read(`${SELECT} WHERE f.incident_id = $1 ORDER BY f.closed_at IS NOT NULL, f.id`, [
      incidentId,
    ]);
  }

  /** The open follow-ups a person owns, soonest due first. */
  async openOwnedBy(owner: string): Promise<Followup[]> {
    return this.read(
      `${SELECT} WHERE f.owner = $1 AND f.closed_at IS NULL ORDER BY f.due_on NULLS LAST, f.id`,
      [owner],
    );
  }

  /** Every open follow-up, soonest due first, at most `limit`; and how many there are. */
  async open(limit: number): Promise<{ followups: Followup[]; total: number }> {
    const [followups, count] = await Promise.all([
      this.read(`${SELECT} WHERE f.closed_at IS NULL ORDER BY f.due_on NULLS LAST, f.id LIMIT $1`, [limit]),
      this.pool.query<{ total: number }>(
        'SELECT count(*)::int AS total FROM followups WHERE closed_at IS NULL',
      ),
    ]);
    return { followups, total: count.rows[0]?.total ?? 0 };
  }

  async get(id: number): Promise<Followup | undefined> {
    const [found] = await this.read(`${SELECT} WHERE f.id = $1`, [id]);
    return found;
  }

  async create(row: FollowupRow): Promise<Followup> {
    const { rows } = await this.pool.query<{ id: number }>(
      `INSERT INTO followups (incident_id, text, owner, due_on, created_by, source)
       VALUES ($1, $2, $3, $4::date, $5, $6) RETURNING id`,
      [row.incidentId, row.text, row.owner, row.due, row.createdBy, row.source],
    );
    const created = await this.get(rows[0]?.id ?? 0);
    if (!created) throw new Error('the follow-up just added cannot be read back');
    return created;
  }

  /** Closes an open follow-up; undefined when it was already closed (or is not there). */
  async close(id: number, by: string): Promise<Followup | undefined> {
    const { rowCount } = await this.pool.query(
      'UPDATE followups SET closed_at = now(), closed_by = $2 WHERE id = $1 AND closed_at IS NULL',
      [id, by],
    );
    return rowCount === 1 ? this.get(id) : undefined;
  }

  /**
   * Claims up to `limit` open, owned follow-ups due on or before today in `timezone` whose owner was not
   * reminded yet: each is claimed by one caller only.
   */
  async claimDue(timezone: string, limit: number): Promise<Followup[]> {
    const { rows } = await this.pool.query<{ id: number }>(
      `UPDATE followups SET reminded_at = now()
        WHERE id IN (SELECT id FROM followups
                      WHERE closed_at IS NULL AND reminded_at IS NULL AND owner IS NOT NULL
                        AND due_on <= (now() AT TIME ZONE $1)::date
                      ORDER BY due_on, id LIMIT $2 FOR UPDATE SKIP LOCKED)
          AND reminded_at IS NULL
        RETURNING id`,
      [timezone, limit],
    );
    if (rows.length === 0) return [];
    return this.read(`${SELECT} WHERE f.id = ANY($1::int[]) ORDER BY f.id`, [rows.map((row) => row.id)]);
  }

  /** Gives back a reminder claim whose message could not be queued, so the next check sends it. */
  async unclaimDue(id: number): Promise<void> {
    await this.pool.query('UPDATE followups SET reminded_at = NULL WHERE id = $1', [id]);
  }

  /**
   * Claims up to `limit` follow-ups the Slack List is not in step with (not in it yet, or closed there too
   * late), for a minute: two workers never mirror one at the same time.
   */
  async claimToMirror(limit: number): Promise<Followup[]> {
    const { rows } = await this.pool.query<{ id: number }>(
      `UPDATE followups SET list_sync_at = now()
        WHERE id IN (SELECT id FROM followups
                      WHERE (list_item_id IS NULL OR (closed_at IS NOT NULL AND NOT list_closed))
                        AND (list_sync_at IS NULL OR list_sync_at < now() - ${MIRROR_LEASE})
                      ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING id`,
      [limit],
    );
    if (rows.length === 0) return [];
    return this.read(`${SELECT} WHERE f.id = ANY($1::int[]) ORDER BY f.id`, [rows.map((row) => row.id)]);
  }

  /** Records the follow-up's item in the List (and whether the List shows it done), ending the claim. */
  async mirrored(id: number, itemId: string, closed: boolean): Promise<void> {
    await this.pool.query(
      'UPDATE followups SET list_item_id = $2, list_closed = $3, list_sync_at = NULL WHERE id = $1',
      [id, itemId, closed],
    );
  }

  /** Ends a mirroring claim that failed, so the next check tries again. */
  async unclaimMirror(id: number): Promise<void> {
    await this.pool.query('UPDATE followups SET list_sync_at = NULL WHERE id = $1', [id]);
  }

  /** The List is gone: every follow-up is to be mirrored again into the next one. */
  async forgetMirror(): Promise<void> {
    await this.pool.query(
      'UPDATE followups SET list_item_id = NULL, list_closed = false, list_sync_at = NULL',
    );
  }

  private async read(sql: string, params: unknown[]): Promise<Followup[]> {
    const { rows } = await this.pool.query(sql, params);
    return rows.map((row) => FollowupSchema.parse(row));
  }
}
