import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import { z } from 'zod';
import { canonicalJson, type JsonValue, toJsonValue } from './canonical.js';

/** One audit entry: who did what to which run (or which service, for denials). */
export interface AuditEntry {
  actor: string;
  event: string;
  runId?: string;
  service?: string;
  action?: string;
  detail?: Record<string, unknown>;
}

/** The prev_hash of the first entry in the chain. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Arbitrary constant: the advisory lock key that serialises audit appends across connections and
 * replicas (migrations use 7_106_115).
 */
export const AUDIT_LOCK_KEY = 7_106_120;

/** The columns an entry's hash covers: everything but id (assigned by the sequence) and the hashes. */
export interface HashedAuditFields {
  /** ISO 8601 with milliseconds, as Date.prototype.toISOString writes it. */
  at: string;
  actor: string;
  event: string;
  run_id: string | null;
  service: string | null;
  action: string | null;
  detail: JsonValue;
}

/** hex sha256 of the previous entry's hash, a newline, and the canonical JSON of the entry's fields. */
export function auditHash(prevHash: string, fields: HashedAuditFields): string {
  const { at, actor, event, run_id, service, action, detail } = fields;
  const canonical = canonicalJson({ at, actor, event, run_id, service, action, detail });
  return createHash('sha256').update(`${prevHash}\n${canonical}`).digest('hex');
}

/** A row of audit_log, checked as it leaves the database (bigint id as the string pg returns). */
export const AuditRowSchema = z.object({
  id: z.string(),
  at: z.date(),
  actor: z.string(),
  event: z.string(),
  run_id: z.string().nullable(),
  service: z.string().nullable(),
  action: z.string().nullable(),
  // Checked without rebuilding: zod rebuilds objects by assignment, which drops own `__proto__` keys and
  // would make the hash of a stored detail differ from the hash it was written with.
  detail: z.custom<JsonValue>((value) => value !== undefined, 'detail is missing'),
  prev_hash: z.string(),
  hash: z.string(),
});

export type AuditRow = z.infer<typeof AuditRowSchema>;

/** appendAudit was called outside a READ COMMITTED transaction, where it cannot keep the chain linear. */
export class AuditMisuseError extends Error {}

/**
 * Appends an audit entry on the caller's client, so it commits or rolls back with the change it records.
 * Must run inside a READ COMMITTED transaction (withTransaction): it takes a transaction-scoped advisory
 * lock, links to the newest entry and holds the lock until the caller commits, so appends from any
 * number of connections form one chain. It throws AuditMisuseError, before writing, when the lock and
 * the read of the newest entry did not happen in one transaction.
 */
export async function appendAudit(client: Pick<PoolClient, 'query'>, entry: AuditEntry): Promise<void> {
  const locked = await client.query<{ xact: string; isolation: string }>(
    "SELECT pg_advisory_xact_lock($1), pg_current_xact_id()::text AS xact, current_setting('transaction_isolation') AS isolation",
    [AUDIT_LOCK_KEY],
  );
  // A separate statement: in READ COMMITTED it sees every entry committed before the lock was granted.
  const newest = await client.query<{ xact: string; hash: string | null }>(
    'SELECT pg_current_xact_id()::text AS xact, (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1) AS hash',
  );
  const lock = locked.rows[0];
  const head = newest.rows[0];
  if (!lock || !head || lock.xact !== head.xact) {
    throw new AuditMisuseError('appendAudit must be called inside a transaction (use withTransaction).');
  }
  if (lock.isolation !== 'read committed') {
    throw new AuditMisuseError(
      `appendAudit needs a READ COMMITTED transaction, not ${lock.isolation}: an older snapshot would fork the chain.`,
    );
  }
  const prevHash = head.hash ?? GENESIS_HASH;
  const fields: HashedAuditFields = {
    at: new Date().toISOString(),
    actor: entry.actor,
    event: entry.event,
    run_id: entry.runId ?? null,
    service: entry.service ?? null,
    action: entry.action ?? null,
    detail: toJsonValue(entry.detail ?? {}),
  };
  await client.query(
    `INSERT INTO audit_log (at, actor, event, run_id, service, action, detail, prev_hash, hash)
     VALUES ($1::timestamptz, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)`,
    [
      fields.at,
      fields.actor,
      fields.event,
      fields.run_id,
      fields.service,
      fields.action,
      canonicalJson(fields.detail),
      prevHash,
      auditHash(prevHash, fields),
    ],
  );
}
