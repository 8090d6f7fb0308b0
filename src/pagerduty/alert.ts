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

/** What Acknowledge all and Resolve all on a roll-up card do to each of its open incidents. */
export const BULK_KINDS = ['acknowledge', 'resolve'] as const;
export type BulkKind = (typeof BULK_KINDS)[number];

/** How the last Acknowledge all or Resolve all went: who, when, how many were sent and done, which failed why. */
export const BulkResult = z.object({
  kind: z.enum(BULK_KINDS),
  by: z.string(),
  at: z.string(),
  sent: z.number().int(),
  done: z.number().int(),
  failed: z.array(z.object({ name: z.string(), reason: z.string() })),
});
export type BulkResult = z.infer<typeof BulkResult>;

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
  /** Acknowledge all or Resolve all under way (claimed by bulk_by at bulk_since), or the last one's outcome. */
  bulk_kind: z.enum(BULK_KINDS).nullish(),
  bulk_by: z.string().nullish(),
  bulk_since: z.date().nullish(),
  bulk_result: BulkResult.nullish(),
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
