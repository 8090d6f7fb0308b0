import { type Run, RunSchema } from '../../src/runs/run.js';

const CREATED = new Date('2025-01-02T03:04:05Z');

/**
 * A run as the store returns it, checked by its schema: Bentham's medium-risk `retry` awaiting Confirm in C0OPS,
 * with a three-row plan, unless `overrides` say otherwise.
 */
export function runRow(overrides: Partial<Run> = {}): Run {
  return RunSchema.parse({
    id: 'run_0123456789ab',
    service: 'bentham',
    action: 'retry',
    kind: 'sql',
    risk: 'medium',
    params: { study: 'study_abc123', limit: 5 },
    state: 'awaiting_confirmation',
    requested_by: 'U0ALICE',
    confirmed_by: null,
    approved_by: null,
    channel_id: 'C0OPS',
    message_ts: null,
    plan: {
      summary: '3 rows would be affected.',
      table: { columns: ['id'], rows: [['1'], ['2'], ['3']], total: 3 },
    },
    result: null,
    error: null,
    expires_at: null,
    created_at: CREATED,
    updated_at: CREATED,
    parent_run_id: null,
    exit_code: null,
    cancel_requested_by: null,
    ...overrides,
  });
}
