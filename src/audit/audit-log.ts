import type { PoolClient } from 'pg';

/** One audit entry: who did what to which run (or which service, for denials). */
export interface AuditEntry {
  actor: string;
  event: string;
  runId?: string;
  service?: string;
  action?: string;
  detail?: Record<string, unknown>;
}

/** Appends an audit entry on the caller's client, so it commits or rolls back with the change it records. */
export async function appendAudit(client: Pick<PoolClient, 'query'>, entry: AuditEntry): Promise<void> {
  await client.query(
    'INSERT INTO audit_log (actor, event, run_id, service, action, detail) VALUES ($1, $2, $3, $4, $5, $6)',
    [
      entry.actor,
      entry.event,
      entry.runId ?? null,
      entry.service ?? null,
      entry.action ?? null,
      JSON.stringify(entry.detail ?? {}),
    ],
  );
}
