import { z } from 'zod';

/** A person on a PagerDuty incident (an assignee). */
export const Person = z.object({ id: z.string(), name: z.string() });

/** The last change the card reports: which event, by whom in PagerDuty, when it happened there. */
export const Change = z.object({ type: z.string(), by: z.string().nullable(), at: z.string() });
export type Change = z.infer<typeof Change>;

/** The latest note (incident.annotated). */
export const Note = z.object({ content: z.string(), by: z.string().nullable(), at: z.string() });
export type Note = z.infer<typeof Note>;

export const ALERT_STATUSES = ['triggered', 'acknowledged', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** A row of pagerduty_incidents: a PagerDuty incident as opsbot last heard of it, and where its card is. */
export const Alert = z.object({
  id: z.string(),
  number: z.number().int().nullable(),
  title: z.string(),
  status: z.enum(ALERT_STATUSES),
  urgency: z.string().nullable(),
  priority: z.string().nullable(),
  service_id: z.string(),
  service_name: z.string().nullable(),
  opsbot_service: z.string().nullable(),
  assignees: z.array(Person),
  html_url: z.string().nullable(),
  escalation_policy_id: z.string().nullable(),
  last_change: Change.nullable(),
  latest_note: Note.nullable(),
  first_seen_at: z.date(),
  state_at: z.date(),
  note_at: z.date().nullable(),
  channel: z.string().nullable(),
  card_key: z.string().nullable(),
  card_ts: z.string().nullable(),
  storm_id: z.string().nullable(),
  opsbot_incident_id: z.string().nullable(),
  /** The Slack channel of the linked opsbot incident, read with the row (the card names it). */
  opsbot_incident_channel: z.string().nullable().optional(),
});
export type Alert = z.infer<typeof Alert>;

/** Why no opsbot incident can be declared for a PagerDuty incident: one is, or someone is declaring one. */
export type Declared =
  | { kind: 'linked'; incidentId: string; channel: string }
  | { kind: 'declaring'; by: string };

/** A row of pagerduty_storms: one roll-up card for many triggers of one PagerDuty service. */
export const Storm = z.object({
  id: z.string(),
  service_id: z.string(),
  channel: z.string(),
  card_key: z.string(),
  card_ts: z.string().nullable(),
  started_at: z.date(),
  last_trigger_at: z.date(),
  rolled_up: z.number().int(),
  posted_before: z.number().int(),
  rendered_at: z.date(),
});
export type Storm = z.infer<typeof Storm>;

/** What a roll-up card shows: the storm, its incidents by status, and the newest of them. */
export interface StormView {
  storm: Storm;
  serviceName: string | null;
  opsbotService: string | null;
  byStatus: Record<AlertStatus, number>;
  newest: Pick<Alert, 'id' | 'number' | 'title' | 'status' | 'html_url'>[];
}
