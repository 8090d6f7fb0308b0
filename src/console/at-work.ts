import type { Pool } from 'pg';

/**
 * How many running runs are still at work, for the console's wait between piped lines: every running action,
 * and every running runbook except one whose current step waits for a person (a question not yet answered, a
 * step's run waiting for Confirm or Approve) or for the clock (a wait step), which may take minutes.
 */
export async function runsAtWork(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM action_runs r
     WHERE r.state = 'running' AND NOT (r.kind = 'runbook' AND r.cancel_requested_by IS NULL AND EXISTS (
       SELECT 1 FROM runbook_steps s LEFT JOIN action_runs c ON c.id = s.child_run_id
       WHERE s.run_id = r.id AND s.state = 'running' AND (
         (s.type = 'ask' AND s.result IS NULL AND s.deadline_at IS NOT NULL)
         OR s.type = 'wait'
         OR c.state IN ('awaiting_confirmation', 'awaiting_approval'))))`,
  );
  return rows[0]?.n ?? 0;
}
