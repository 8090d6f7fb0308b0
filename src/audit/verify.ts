import type { Pool } from 'pg';
import { AuditRowSchema, auditHash, GENESIS_HASH } from './audit-log.js';

/** The entry where the chain breaks, as far as it can be read. `at` is null when it is not a usable time. */
export interface BrokenAuditEntry {
  id: string;
  at: Date | null;
  actor: string;
  event: string;
}

export type AuditChainReport =
  | { ok: true; entries: number; head: string }
  | { ok: false; entry: BrokenAuditEntry; problem: string; intactBefore: number };

const DEFAULT_BATCH = 1000;

/**
 * Recomputes the audit chain in id order, `batchSize` rows at a time (keyset pagination, so memory stays
 * flat), and reports the first entry whose hash does not match its contents or whose prev_hash does not
 * match the entry before it. `head` is the newest entry's hash (64 zeros for an empty log): record it
 * elsewhere to detect later removal of the newest entries, which the chain alone cannot show.
 */
export async function verifyAuditChain(
  pool: Pick<Pool, 'query'>,
  options: { batchSize?: number } = {},
): Promise<AuditChainReport> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError('batchSize must be a positive integer.');
  let previous: { id: string; hash: string } | undefined;
  let entries = 0;
  for (;;) {
    const after = previous === undefined ? '' : 'WHERE id > $2';
    // `at` only when it is finite and in whole milliseconds: anything else cannot be what was hashed.
    const { rows } = await pool.query(
      `SELECT id, CASE WHEN isfinite(at) AND date_trunc('milliseconds', at) = at THEN at END AS at,
              actor, event, run_id, service, action, detail, prev_hash, hash
         FROM audit_log ${after} ORDER BY id LIMIT $1`,
      previous === undefined ? [batchSize] : [batchSize, previous.id],
    );
    for (const raw of rows as Record<string, unknown>[]) {
      const at = raw.at instanceof Date && !Number.isNaN(raw.at.getTime()) ? raw.at : null;
      const row = AuditRowSchema.parse({ ...raw, at: at ?? new Date(0) });
      const broken = (problem: string): AuditChainReport => ({
        ok: false,
        entry: { id: row.id, at, actor: row.actor, event: row.event },
        problem,
        intactBefore: entries,
      });
      const expected = auditHash(row.prev_hash, {
        at: at?.toISOString() ?? '',
        actor: row.actor,
        event: row.event,
        run_id: row.run_id,
        service: row.service,
        action: row.action,
        detail: row.detail,
      });
      if (at === null || expected !== row.hash) return broken('its hash does not match its contents');
      if (previous === undefined && row.prev_hash !== GENESIS_HASH) {
        return broken('its prev_hash is not the start of the chain (64 zeros): earlier entries are missing');
      }
      if (previous !== undefined && row.prev_hash !== previous.hash) {
        return broken(`its prev_hash does not match entry #${previous.id}`);
      }
      previous = { id: row.id, hash: row.hash };
      entries += 1;
    }
    if (rows.length < batchSize) return { ok: true, entries, head: previous?.hash ?? GENESIS_HASH };
  }
}
