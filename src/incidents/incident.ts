import { z } from 'zod';

export const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** The roles people hold in an incident; the declarer is commander until someone else is. */
export const INCIDENT_ROLES = ['commander', 'scribe', 'comms'] as const;
export type IncidentRole = (typeof INCIDENT_ROLES)[number];

/** A human status update: where things stand, what changed, what happens next. */
export const HumanUpdate = z.object({
  status: z.enum(INCIDENT_STATUSES),
  changed: z.string(),
  next: z.string(),
  by: z.string(),
  at: z.coerce.date(),
});
export type HumanUpdate = z.infer<typeof HumanUpdate>;

/** An incidents row. */
export const IncidentSchema = z.object({
  id: z.string(),
  title: z.string(),
  severity: z.string(),
  status: z.enum(INCIDENT_STATUSES),
  channel_id: z.string(),
  channel_name: z.string(),
  declared_by: z.string(),
  commander: z.string().nullable(),
  scribe: z.string().nullable(),
  comms: z.string().nullable(),
  services: z.array(z.string()),
  card_ts: z.string().nullable(),
  latest_update: HumanUpdate.nullable(),
  last_human_update_at: z.date().nullable(),
  next_status_at: z.date(),
  last_status_at: z.date().nullable(),
  status_slots: z.number().int(),
  nudge_snoozed_until: z.date().nullable(),
  declared_at: z.date(),
  resolved_at: z.date().nullable(),
  summary: z.string().nullable(),
});
export type Incident = z.infer<typeof IncidentSchema>;

export const EVENT_KINDS = [
  'declared',
  'severity',
  'role',
  'status',
  'update',
  'action',
  'note',
  'pin',
  'escalation',
  'pagerduty',
  'resolved',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** One timeline entry. */
export const IncidentEventSchema = z.object({
  id: z.coerce.number(),
  incident_id: z.string(),
  kind: z.enum(EVENT_KINDS),
  at: z.date(),
  actor: z.string().nullable(),
  text: z.string(),
  permalink: z.string().nullable(),
  source: z.string().nullable(),
});
export type IncidentEvent = z.infer<typeof IncidentEventSchema>;

/** How long the incident has been open (or was, once resolved): `2 h 5 min`, `40 min`, `30 s`. */
export function durationText(
  incident: Pick<Incident, 'declared_at' | 'resolved_at'>,
  now = new Date(),
): string {
  const end = incident.resolved_at ?? now;
  const seconds = Math.max(0, Math.floor((end.getTime() - incident.declared_at.getTime()) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  return [days ? `${days} d` : '', hours ? `${hours} h` : '', rest ? `${rest} min` : '']
    .filter(Boolean)
    .join(' ');
}
