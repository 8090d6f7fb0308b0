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
});

export type Run = z.infer<typeof RunSchema>;

/** The actor recorded for transitions opsbot makes itself (planning, running, expiring). */
export const SYSTEM_ACTOR = 'opsbot';
