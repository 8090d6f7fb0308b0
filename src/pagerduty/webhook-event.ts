import { z } from 'zod';

/** The incident events opsbot acts on; other well-formed events (`pagey.ping`, `service.*`…) are ignored. */
export const INCIDENT_EVENT_TYPES = [
  'incident.triggered',
  'incident.acknowledged',
  'incident.unacknowledged',
  'incident.escalated',
  'incident.reassigned',
  'incident.delegated',
  'incident.priority_updated',
  'incident.annotated',
  'incident.resolved',
  'incident.reopened',
] as const;
export type IncidentEventType = (typeof INCIDENT_EVENT_TYPES)[number];

const Text = (max: number) => z.string().max(max);
const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a PagerDuty id');

/** A PagerDuty reference: `{ id, summary }` (users, services, priorities…). */
const Reference = z.object({ id: Id, summary: Text(1_000).nullish() });

/** The v3 envelope; `data` is checked by event type once the type is known. */
export const WebhookEnvelope = z.object({
  event: z.object({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be an event id'),
    event_type: z.string().regex(/^[a-z_]+(\.[a-z_]+)+$/, 'must be an event type such as incident.triggered'),
    resource_type: Text(64),
    occurred_at: z.iso.datetime({ offset: true }),
    agent: Reference.nullish(),
    client: z.unknown().optional(),
    data: z.record(z.string(), z.unknown()),
  }),
});

/** `data` of every incident event but annotated: the incident as it is after the event. */
export const IncidentData = z.object({
  id: Id,
  number: z.number().int().nonnegative().optional(),
  title: Text(10_000),
  status: z.enum(['triggered', 'acknowledged', 'resolved']),
  urgency: Text(32).nullish(),
  priority: Reference.nullish(),
  html_url: z.url().max(2_000),
  service: Reference,
  assignees: z.array(Reference).max(100).default([]),
  escalation_policy: Reference.nullish(),
});
export type IncidentData = z.infer<typeof IncidentData>;

/** `data` of incident.annotated: the note, naming its incident. */
export const NoteData = z.object({
  type: z.literal('incident_note'),
  content: Text(100_000),
  incident: z.object({ id: Id }),
});
export type NoteData = z.infer<typeof NoteData>;

interface EventBase {
  id: string;
  occurredAt: Date;
  /** Who did it in PagerDuty (a user's name), when PagerDuty says. */
  agent: string | undefined;
}

/** An incident event opsbot acts on, checked. */
export type PagerDutyEvent =
  | (EventBase & { type: Exclude<IncidentEventType, 'incident.annotated'>; incident: IncidentData })
  | (EventBase & { type: 'incident.annotated'; note: NoteData });

/** What a body is: an event to act on, a well-formed event opsbot does not use, or not a PagerDuty event. */
export type ParsedWebhook =
  | { kind: 'event'; event: PagerDutyEvent }
  | { kind: 'ignored'; eventType: string }
  | { kind: 'invalid'; problem: string };

const isHandled = (type: string): type is IncidentEventType =>
  (INCIDENT_EVENT_TYPES as readonly string[]).includes(type);

/** Checks a v3 webhook body (already JSON-parsed) against the envelope and its event type's data. */
export function parseWebhook(body: unknown): ParsedWebhook {
  const envelope = WebhookEnvelope.safeParse(body);
  if (!envelope.success) return { kind: 'invalid', problem: describe(envelope.error) };
  const { id, event_type: type, occurred_at, agent, data } = envelope.data.event;
  if (!isHandled(type)) return { kind: 'ignored', eventType: type };
  const base = { id, occurredAt: new Date(occurred_at), agent: agent?.summary ?? undefined };
  if (type === 'incident.annotated') {
    const note = NoteData.safeParse(data);
    if (!note.success) return { kind: 'invalid', problem: describe(note.error, 'event.data') };
    return { kind: 'event', event: { ...base, type, note: note.data } };
  }
  const incident = IncidentData.safeParse(data);
  if (!incident.success) return { kind: 'invalid', problem: describe(incident.error, 'event.data') };
  return { kind: 'event', event: { ...base, type, incident: incident.data } };
}

/** The PagerDuty incident an event is about. */
export function incidentIdOf(event: PagerDutyEvent): string {
  return event.type === 'incident.annotated' ? event.note.incident.id : event.incident.id;
}

/** A stored event (pagerduty_webhook_events.payload) read back. */
export function eventFromPayload(payload: unknown): PagerDutyEvent {
  const parsed = parseWebhook({ event: payload });
  if (parsed.kind !== 'event')
    throw new Error(`stored PagerDuty event is unusable: ${describeParsed(parsed)}`);
  return parsed.event;
}

function describeParsed(parsed: Exclude<ParsedWebhook, { kind: 'event' }>): string {
  return parsed.kind === 'ignored' ? `type ${parsed.eventType}` : parsed.problem;
}

/** The first problem, with its path: enough for a log line and a 400 body. */
function describe(error: z.ZodError, prefix = ''): string {
  const issue = error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
  return `${path || 'body'}: ${issue?.message ?? 'invalid'}`;
}
