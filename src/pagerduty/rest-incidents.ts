import { z } from 'zod';

/**
 * The incident as GET /incidents/{id} shows it. PagerDuty's incident object has no current escalation level
 * (`escalation_level` is only a field of the PUT): the level is read from who is assigned, see `levelOf`.
 */
export const IncidentBody = z.object({
  incident: z.object({
    id: z.string(),
    incident_number: z.number().int().optional(),
    status: z.string(),
    html_url: z.string().optional(),
    escalation_policy: z.object({ id: z.string() }).nullish(),
    assignments: z.array(z.object({ assignee: z.object({ id: z.string() }) })).default([]),
  }),
});
export const IncidentList = z.object({ incidents: z.array(IncidentBody.shape.incident) });

/** A PagerDuty incident as escalation steps need it: which it is, where it is, and its policy. */
export interface PagerDutyIncident {
  id: string;
  /** `PagerDuty #12`, linked to the incident when PagerDuty gave its URL. */
  name: string;
  status: string;
  escalationPolicyId: string | undefined;
}

/** What triggering an incident on an escalation policy needs; `key` is PagerDuty's dedup key (incident_key). */
export interface NewPagerDutyIncident {
  title: string;
  serviceId: string;
  escalationPolicyId: string;
  key: string;
  details: string;
}

/** An incident as PagerDuty's API shows it, as escalation steps use it. */
export function incidentOf(incident: z.infer<typeof IncidentBody>['incident']): PagerDutyIncident {
  const number = incident.incident_number !== undefined ? `#${incident.incident_number}` : incident.id;
  return {
    id: incident.id,
    name: incident.html_url ? `<${incident.html_url}|PagerDuty ${number}>` : `PagerDuty ${number}`,
    status: incident.status,
    escalationPolicyId: incident.escalation_policy?.id ?? undefined,
  };
}
