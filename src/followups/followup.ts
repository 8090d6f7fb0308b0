import { z } from 'zod';

/** The longest follow-up text opsbot keeps (the table's CHECK says the same). */
export const MAX_FOLLOWUP_TEXT = 500;

/** A follow-up as opsbot reads it, with the incident it belongs to. */
export const FollowupSchema = z.object({
  id: z.number().int().positive(),
  incident_id: z.string(),
  incident_title: z.string(),
  incident_channel: z.string(),
  text: z.string(),
  owner: z.string().nullable(),
  /** YYYY-MM-DD, the day it is due (read as text: a JavaScript Date would shift it by the time zone). */
  due_on: z.string().nullable(),
  created_by: z.string(),
  created_at: z.date(),
  source: z.string().nullable(),
  closed_by: z.string().nullable(),
  closed_at: z.date().nullable(),
  reminded_at: z.date().nullable(),
  list_item_id: z.string().nullable(),
  list_closed: z.boolean(),
});
export type Followup = z.infer<typeof FollowupSchema>;

/** What `/ops followups` lists: the caller's open ones, every open one, or this incident's (open and closed). */
export const FOLLOWUP_FILTERS = ['mine', 'open', 'incident'] as const;
export type FollowupFilter = (typeof FOLLOWUP_FILTERS)[number];

/** A follow-up to add: its text, and optionally its owner, due day and the message it came from. */
export interface NewFollowup {
  text: string;
  owner?: string | undefined;
  /** YYYY-MM-DD. */
  due?: string | undefined;
  /** `<channel>:<ts>` of the message the shortcut was used on. */
  source?: string | undefined;
}
