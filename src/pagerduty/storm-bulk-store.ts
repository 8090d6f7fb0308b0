import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { z } from 'zod';
import { ms } from '../db/interval.js';
import { BULK_KINDS, type BulkKind, type BulkResult } from './alert.js';

/**
 * A claim not refreshed for this long was left by a process that died: each request refreshes it, and one
 * request takes at most its 10 s timeout four times plus three waits of at most 20 s for a 429.
 */
const BULK_STALE_MS = 3 * 60_000;

/** Which incidents each kind acts on, by their stored status. */
const OPEN_STATUSES: Record<BulkKind, string[]> = {
  acknowledge: ['triggered'],
  resolve: ['triggered', 'acknowledged'],
};

const Holder = z.object({ bulk_kind: z.enum(BULK_KINDS), bulk_by: z.string() });
const Open = z.object({ id: z.string(), number: z.number().int().nullable(), title: z.string() });
export type OpenIncident = z.infer<typeof Open>;

/**
 * Acknowledge all and Resolve all on a storm's roll-up card (columns bulk_* of pagerduty_storms): who has the
 * storm claimed, a compare-and-set so one press runs at a time, and how the last one went.
 */
export class StormBulkStore {
  constructor(private readonly pool: Pool) {}

  /**
   * Claims the storm for `actor`'s `kind`: its claim token, or who holds it now. A claim left by a process
   * that died is taken over once it is old.
   */
  async claim(
    stormId: string,
    kind: BulkKind,
    actor: string,
  ): Promise<{ claim: string } | { heldBy: string; kind: BulkKind }> {
    const claim = randomUUID();
    // A claim released between the two statements leaves nothing in the way: try again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const { rowCount } = await this.pool.query(
        `UPDATE pagerduty_storms
            SET bulk_claim = $2, bulk_kind = $3, bulk_by = $4, bulk_since = now(), bulk_result = NULL
          WHERE id = $1 AND (bulk_since IS NULL OR bulk_since < now() - ${ms('$5')})`,
        [stormId, claim, kind, actor, BULK_STALE_MS],
      );
      if (rowCount === 1) return { claim };
      const { rows } = await this.pool.query(
        'SELECT bulk_kind, bulk_by FROM pagerduty_storms WHERE id = $1 AND bulk_since IS NOT NULL',
        [stormId],
      );
      if (rows[0]) {
        const holder = Holder.parse(rows[0]);
        return { heldBy: holder.bulk_by, kind: holder.bulk_kind };
      }
    }
    throw new Error(`PagerDuty storm ${stormId} kept changing while it was claimed`);
  }

  /** The storm's incidents `kind` acts on, as stored now, oldest first. */
  async openIncidents(stormId: string, kind: BulkKind): Promise<OpenIncident[]> {
    const { rows } = await this.pool.query(
      `SELECT id, number, title FROM pagerduty_incidents
        WHERE storm_id = $1 AND status = ANY($2::text[]) ORDER BY first_seen_at, id`,
      [stormId, OPEN_STATUSES[kind]],
    );
    return rows.map((row) => Open.parse(row));
  }

  /** Refreshes the claim while requests go; false once it is no longer this one's (taken over). */
  async refresh(stormId: string, claim: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'UPDATE pagerduty_storms SET bulk_since = now() WHERE id = $1 AND bulk_claim = $2',
      [stormId, claim],
    );
    return rowCount === 1;
  }

  /** Ends the claim, keeping how it went for the card; false when the claim was no longer this one's. */
  async finish(stormId: string, claim: string, result: BulkResult): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE pagerduty_storms
          SET bulk_claim = NULL, bulk_kind = NULL, bulk_by = NULL, bulk_since = NULL, bulk_result = $3
        WHERE id = $1 AND bulk_claim = $2`,
      [stormId, claim, JSON.stringify(result)],
    );
    return rowCount === 1;
  }
}
