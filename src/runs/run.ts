import { z } from 'zod';
import { RISKS } from '../actions/types.js';
import { RUN_STATES } from './states.js';

const Table = z.object({
  columns: z.array(z.string()),
  rows: z.array(z.array(z.string())),
  total: z.number(),
});
const Outcome = z.object({ summary: z.string(), table: Table.optional() });

/** A row of action_runs, checked as it leaves the database. */
export const RunSchema = z.object({
  id: z.string(),
  service: z.string(),
  action: z.string(),
  kind: z.string(),
  risk: z.enum(RISKS),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
  state: z.enum(RUN_STATES),
  requested_by: z.string(),
  confirmed_by: z.string().nullable(),
  approved_by: z.string().nullable(),
  channel_id: z.string(),
  message_ts: z.string().nullable(),
  plan: Outcome.nullable(),
  result: Outcome.nullable(),
  error: z.string().nullable(),
  expires_at: z.date().nullable(),
  created_at: z.date(),
  updated_at: z.date(),
  /** An action step's run: the runbook run it belongs to. */
  parent_run_id: z.string().nullable(),
  /** A command kind's exit code, whether it succeeded or not. */
  exit_code: z.number().int().nullable(),
  /** Who pressed Cancel on a running runbook; it stops between steps. */
  cancel_requested_by: z.string().nullable(),
});

export type Run = z.infer<typeof RunSchema>;

/** The actor recorded for transitions opsbot makes itself (planning, running, expiring). */
export const SYSTEM_ACTOR = 'opsbot';

/**
 * A run as its request left it: `message_ts` null while its card is not in Slack yet, which is Slack's doing
 * unless `cardLateBecause` says PostgreSQL went away meanwhile.
 */
export type RequestedRun = Run & { cardLateBecause?: 'database' };
