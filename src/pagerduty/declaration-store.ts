import type { Pool } from 'pg';
import { z } from 'zod';
import { ms } from '../db/interval.js';
import { ConflictError } from '../errors.js';
import type { Incident } from '../incidents/incident.js';
import { Alert, type Declared } from './alert.js';
import { ALERT_COLUMNS } from './alert-sql.js';

/** A claim to declare older than this was left by a process that died: declaring takes seconds. */
const DECLARING_STALE_MS = 5 * 60_000;

const Declaration = z.object({
  opsbot_incident_id: z.string().nullable(),
  channel_id: z.string().nullable(),
  declaring_by: z.string().nullable(),
});

/**
 * Who declares the opsbot incident for a PagerDuty incident (columns declaring_by, declaring_since and
 * opsbot_incident_id of pagerduty_incidents), for button handlers: on the pool, outside the service lock.
 */
export class DeclarationStore {
  constructor(private readonly pool: Pool) {}

  /**
   * Claims the PagerDuty incident for `actor` to declare an opsbot incident for it: a compare-and-set, so of
   * two people declaring at once one gets it. Undefined when claimed; else what stands in the way.
   */
  async claimDeclaration(id: string, actor: string): Promise<Declared | undefined> {
    // A claim released between the two statements leaves nothing in the way: try again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const { rowCount } = await this.pool.query(
        `UPDATE pagerduty_incidents SET declaring_by = $2, declaring_since = now()
         WHERE id = $1 AND opsbot_incident_id IS NULL
           AND (declaring_since IS NULL OR declaring_since < now() - ${ms('$3')})`,
        [id, actor, DECLARING_STALE_MS],
      );
      if (rowCount === 1) return undefined;
      const declared = await this.declaration(id);
      if (declared) return declared;
    }
    throw new ConflictError('That PagerDuty incident kept changing while you declared; try again.');
  }

  /** Gives up `actor`'s claim (the declaration failed), so someone can press Declare again. */
  async releaseDeclaration(id: string, actor: string): Promise<void> {
    await this.pool.query(
      `UPDATE pagerduty_incidents SET declaring_by = NULL, declaring_since = NULL
       WHERE id = $1 AND declaring_by = $2 AND opsbot_incident_id IS NULL`,
      [id, actor],
    );
  }

  /** The opsbot incident linked to the PagerDuty incident, or who is declaring one now; else undefined. */
  async declaration(id: string): Promise<Declared | undefined> {
    const { rows } = await this.pool.query(
      `SELECT p.opsbot_incident_id, i.channel_id,
         CASE WHEN p.declaring_since >= now() - ${ms('$2')} THEN p.declaring_by END AS declaring_by
       FROM pagerduty_incidents p LEFT JOIN incidents i ON i.id = p.opsbot_incident_id WHERE p.id = $1`,
      [id, DECLARING_STALE_MS],
    );
    if (!rows[0]) return undefined;
    const row = Declaration.parse(rows[0]);
    if (row.opsbot_incident_id && row.channel_id) {
      return { kind: 'linked', incidentId: row.opsbot_incident_id, channel: row.channel_id };
    }
    return row.declaring_by ? { kind: 'declaring', by: row.declaring_by } : undefined;
  }

  /**
   * The PagerDuty incident an opsbot incident was declared from (its alert card's), if it was; `linked: false`
   * while its declarer is still declaring one from a card (the link comes once the incident is set up).
   */
  async declaredFrom(
    incident: Pick<Incident, 'id' | 'declared_by' | 'declared_at'>,
  ): Promise<{ id: string; linked: boolean } | undefined> {
    const { rows } = await this.pool.query(
      `SELECT id, opsbot_incident_id IS NOT NULL AS linked FROM pagerduty_incidents
        WHERE opsbot_incident_id = $1
           OR (opsbot_incident_id IS NULL AND declaring_by = $2 AND declaring_since <= $3
               AND declaring_since >= now() - ${ms('$4')})
        ORDER BY opsbot_incident_id IS NULL, first_seen_at LIMIT 1`,
      [incident.id, incident.declared_by, incident.declared_at, DECLARING_STALE_MS],
    );
    return rows[0] ? { id: rows[0].id as string, linked: rows[0].linked as boolean } : undefined;
  }

  /**
   * Links the PagerDuty incident to the opsbot incident `actor` declared for it and ends the claim; undefined
   * when it already is linked (to any), or another person's claim took over a stale one of `actor`'s.
   */
  async link(id: string, incidentId: string, actor: string): Promise<Alert | undefined> {
    const { rows } = await this.pool.query(
      `UPDATE pagerduty_incidents
       SET opsbot_incident_id = $2, declaring_by = NULL, declaring_since = NULL, updated_at = now()
       WHERE id = $1 AND opsbot_incident_id IS NULL AND (declaring_by = $3 OR declaring_by IS NULL)
       RETURNING ${ALERT_COLUMNS}`,
      [id, incidentId, actor],
    );
    return rows[0] ? Alert.parse(rows[0]) : undefined;
  }
}
