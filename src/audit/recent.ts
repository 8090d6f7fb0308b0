import type { Pool } from 'pg';
import { type AuditRow, AuditRowSchema } from './audit-log.js';

/** The most entries `/ops audit [n]` shows. */
export const MAX_RECENT_AUDIT = 50;

/** The newest `n` audit entries, newest first; `n` is an integer clamped to 1..MAX_RECENT_AUDIT. */
export async function recentAudit(pool: Pick<Pool, 'query'>, n: number): Promise<AuditRow[]> {
  if (!Number.isInteger(n)) throw new RangeError(`recentAudit: n must be an integer, not ${n}.`);
  const limit = Math.min(Math.max(n, 1), MAX_RECENT_AUDIT);
  const { rows } = await pool.query(
    `SELECT id, at, actor, event, run_id, service, action, detail, prev_hash, hash
       FROM audit_log ORDER BY id DESC LIMIT $1`,
    [limit],
  );
  return rows.map((row) => AuditRowSchema.parse(row));
}
