import type { Pool, PoolClient } from 'pg';
import { withTransaction } from '../db/transaction.js';
import type { IncidentEvent } from './incident.js';
import { IncidentStore, type NewEvent } from './store.js';

/** Arbitrary constant: the first key of the advisory locks that serialise changes to one captured message's entry. */
const SOURCE_LOCK_CLASS = 7_106_117;

/** The mark a deleted message leaves among its holders: it holds nothing and nothing can hold it again. */
const DELETED = 'deleted';

/** Holds the lock of the entry about `source` until the transaction ends. */
async function lockSource(tx: Pick<PoolClient, 'query'>, incidentId: string, source: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
    SOURCE_LOCK_CLASS,
    `${incidentId}:${source}`,
  ]);
}

/** Sets one holder's state unless a newer Slack event already set it (`eventTs` is a Slack ts: seconds.micros). */
async function setHold(
  db: Pick<PoolClient, 'query'>,
  incidentId: string,
  source: string,
  holder: string,
  held: boolean,
  eventTs: string,
): Promise<void> {
  await db.query(
    `INSERT INTO incident_event_holds (incident_id, source, holder, held, event_ts) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (incident_id, source, holder) DO UPDATE SET held = EXCLUDED.held, event_ts = EXCLUDED.event_ts
      WHERE incident_event_holds.event_ts <= EXCLUDED.event_ts`,
    [incidentId, source, holder, held, eventTs],
  );
}

/**
 * Timeline entries captured from Slack messages (pins, 📌 reactions, their edits and deletions) and what holds
 * them there (incident_event_holds): each change to one message's entry runs under that entry's lock.
 */
export class CapturedEntryStore {
  constructor(private readonly pool: Pool) {}

  /** Updates the text of the incident's entry about `source`, if there is one (an edited pinned message). */
  async editEvent(incidentId: string, source: string, text: string): Promise<number> {
    const { rowCount } = await this.pool.query(
      'UPDATE incident_events SET text = $3 WHERE incident_id = $1 AND source = $2',
      [incidentId, source, text],
    );
    return rowCount ?? 0;
  }

  /**
   * Records that `holder` (the channel's pin, one person's 📌) keeps the entry about `source` on the timeline,
   * as of the Slack event at `eventTs`: an event older than the one last recorded for that holder changes
   * nothing, so a retried or late `reaction_added` never undoes a newer removal.
   */
  async holdEvent(incidentId: string, source: string, holder: string, eventTs: string): Promise<void> {
    await setHold(this.pool, incidentId, source, holder, true, eventTs);
  }

  /** Records a captured message's entry, if something still holds it and it was not deleted (else undefined). */
  async addHeldEvent(
    incidentId: string,
    event: NewEvent & { source: string },
  ): Promise<IncidentEvent | undefined> {
    return withTransaction(this.pool, async (tx) => {
      await lockSource(tx, incidentId, event.source);
      const { rows } = await tx.query(
        `SELECT coalesce(bool_or(held) AND NOT bool_or(holder = $3), false) AS kept
           FROM incident_event_holds WHERE incident_id = $1 AND source = $2`,
        [incidentId, event.source, DELETED],
      );
      return rows[0]?.kept === true ? IncidentStore.addEventIn(tx, incidentId, event) : undefined;
    });
  }

  /** `holder` let go of `source` (as of `eventTs`); true when nothing holds it now and its entry was removed. */
  async releaseEvent(incidentId: string, source: string, holder: string, eventTs: string): Promise<boolean> {
    return withTransaction(this.pool, async (tx) => {
      await lockSource(tx, incidentId, source);
      await setHold(tx, incidentId, source, holder, false, eventTs);
      const { rowCount } = await tx.query(
        `DELETE FROM incident_events e WHERE e.incident_id = $1 AND e.source = $2
            AND NOT EXISTS (SELECT 1 FROM incident_event_holds h
                             WHERE h.incident_id = e.incident_id AND h.source = e.source AND h.held)`,
        [incidentId, source],
      );
      return (rowCount ?? 0) > 0;
    });
  }

  /**
   * Removes the entry about `source` (a deleted message) and what held it, and remembers the deletion so that a
   * late 📌 or pin, read back from Slack before the deletion reached it, cannot record it again. True when
   * there was an entry.
   */
  async forgetEvent(incidentId: string, source: string): Promise<boolean> {
    return withTransaction(this.pool, async (tx) => {
      await lockSource(tx, incidentId, source);
      await tx.query('DELETE FROM incident_event_holds WHERE incident_id = $1 AND source = $2', [
        incidentId,
        source,
      ]);
      await setHold(tx, incidentId, source, DELETED, false, '0');
      const { rowCount } = await tx.query(
        'DELETE FROM incident_events WHERE incident_id = $1 AND source = $2',
        [incidentId, source],
      );
      return (rowCount ?? 0) > 0;
    });
  }
}
