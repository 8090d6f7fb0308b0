/**
 * A low-risk (so it runs on request, without Confirm) SQL action for the tests' Bentham config that adds one to
 * a study's attempt count after `seconds`. The update commits only at its end, so a run cut off mid-way adds
 * nothing, and the count is the number of executions that finished.
 */
export function slowCountAction(seconds: number, idempotent = false) {
  return {
    kind: 'sql',
    summary: `Add one to a study's attempt count after ${seconds} s`,
    database: 'main',
    params: { study: { type: 'string', pattern: '^study_[a-z0-9]+$' } },
    run: `UPDATE jobs SET attempt_count = attempt_count + 1 WHERE study_id = :study AND (SELECT pg_sleep(${seconds})) IS NOT NULL`,
    idempotent,
    role: 'operator',
    risk: 'low',
  };
}
