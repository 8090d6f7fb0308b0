import { randomUUID } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { signBody } from '../../src/pagerduty/signature.js';
import { testConfigText } from './harness.js';

/** The secrets tests configure: PAGERDUTY_WEBHOOK_SECRET is `${PD_SECRET},${PD_NEXT_SECRET}` (a rotation). */
export const PD_SECRET = 'pd-webhook-secret-current';
export const PD_NEXT_SECRET = 'pd-webhook-secret-next';

/**
 * The test config with PagerDuty cards in C0ALERTS for `services` (PagerDuty service id → opsbot service);
 * `actionsInAlerts` lets suggested actions be requested there.
 */
export function pagerDutyConfigText(
  services: Record<string, string> = { PSVC0A1: 'bentham' },
  actionsInAlerts = false,
): string {
  const config = parse(testConfigText());
  config.pagerduty = { channel: 'C0ALERTS', services };
  if (actionsInAlerts) config.channels.allow.push('C0ALERTS');
  return stringify(config);
}

/** The incident fields a test sets; the rest default to a Bentham incident. */
export interface IncidentFields {
  id: string;
  number?: number;
  title?: string;
  status?: 'triggered' | 'acknowledged' | 'resolved';
  urgency?: string;
  priority?: string | null;
  serviceId?: string;
  serviceName?: string;
  assignees?: string[];
}

/** A v3 incident event as PagerDuty sends it (the envelope, before JSON). */
export function incidentEvent(
  type: string,
  fields: IncidentFields,
  options: { at?: Date; agent?: string; eventId?: string } = {},
): Record<string, unknown> {
  const { id } = fields;
  return {
    event: {
      id: options.eventId ?? randomUUID(),
      event_type: type,
      resource_type: 'incident',
      occurred_at: (options.at ?? new Date()).toISOString(),
      agent: options.agent ? { id: 'PAGENT1', summary: options.agent, type: 'user_reference' } : null,
      client: null,
      data: {
        id,
        type: 'incident',
        self: `https://api.pagerduty.com/incidents/${id}`,
        html_url: `https://acme.pagerduty.com/incidents/${id}`,
        number: fields.number ?? 1,
        status: fields.status ?? 'triggered',
        incident_key: `key-${id}`,
        created_at: new Date().toISOString(),
        title: fields.title ?? 'Study failure rate above 50%',
        service: {
          id: fields.serviceId ?? 'PSVC0A1',
          summary: fields.serviceName ?? 'Bentham API',
          type: 'service_reference',
        },
        assignees: (fields.assignees ?? ['Alice Smith']).map((name, i) => ({
          id: `PUSER${i}`,
          summary: name,
          type: 'user_reference',
        })),
        escalation_policy: { id: 'PPOL1', summary: 'Bentham', type: 'escalation_policy_reference' },
        teams: [],
        priority: fields.priority
          ? { id: 'PPRIO1', summary: fields.priority, type: 'priority_reference' }
          : null,
        urgency: fields.urgency ?? 'high',
        conference_bridge: null,
        resolve_reason: null,
      },
    },
  };
}

/** incident.annotated: its data is the note, naming the incident. */
export function noteEvent(
  incidentId: string,
  content: string,
  options: { at?: Date; agent?: string } = {},
): Record<string, unknown> {
  return {
    event: {
      id: randomUUID(),
      event_type: 'incident.annotated',
      resource_type: 'incident',
      occurred_at: (options.at ?? new Date()).toISOString(),
      agent: options.agent ? { id: 'PAGENT1', summary: options.agent, type: 'user_reference' } : null,
      client: null,
      data: {
        incident: {
          id: incidentId,
          html_url: `https://acme.pagerduty.com/incidents/${incidentId}`,
          summary: 'Study failure rate above 50%',
          type: 'incident_reference',
        },
        id: 'PNOTE1',
        content,
        trimmed: false,
        type: 'incident_note',
      },
    },
  };
}

/**
 * POSTs a body to `/webhooks/pagerduty`, signed with `secret` (PD_SECRET) unless `signature` is given
 * (null sends none); a fresh X-Webhook-Id unless one is given.
 */
export function deliver(
  baseUrl: string,
  body: Record<string, unknown> | string,
  options: { secret?: string; signature?: string | null; webhookId?: string } = {},
): Promise<Response> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const signature =
    options.signature === undefined ? signBody(raw, options.secret ?? PD_SECRET) : options.signature;
  return fetch(`${baseUrl}/webhooks/pagerduty`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-webhook-id': options.webhookId ?? randomUUID(),
      ...(signature === null ? {} : { 'x-pagerduty-signature': signature }),
    },
    body: raw,
  });
}
