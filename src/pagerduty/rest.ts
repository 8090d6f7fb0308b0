import { api } from '@pagerduty/pdjs';
import { z } from 'zod';
import { UnavailableError, UserError } from '../errors.js';

/** How long a user's PagerDuty id is remembered, by email. */
const USER_CACHE_MS = 60 * 60_000;

const PdError = z.object({
  error: z.object({ message: z.string().optional(), errors: z.array(z.string()).optional() }).optional(),
});
const Users = z.object({ users: z.array(z.object({ id: z.string(), email: z.string() })) });
const IncidentBody = z.object({
  incident: z.object({
    id: z.string(),
    status: z.string(),
    escalation_level: z.number().int().optional(),
    escalation_policy: z.object({ id: z.string() }).optional(),
  }),
});
const Oncalls = z.object({
  oncalls: z.array(
    z.object({
      escalation_level: z.number().int(),
      user: z.object({ id: z.string(), summary: z.string().optional() }),
      schedule: z.object({ summary: z.string().optional() }).nullable().optional(),
      end: z.string().nullable().optional(),
    }),
  ),
});

const ServiceBody = z.object({
  service: z.object({ id: z.string(), name: z.string(), escalation_policy: z.object({ id: z.string() }) }),
});

/** One person on call, as `/ops oncall` shows them. */
export interface OnCall {
  level: number;
  name: string;
  schedule?: string | undefined;
  until?: string | undefined;
}

type Method = 'GET' | 'PUT' | 'POST';

/**
 * The PagerDuty REST API v2 through @pagerduty/pdjs. Changes are made as a person: their email goes in
 * `From`, so PagerDuty records them, never the integration's token, as who acknowledged or resolved.
 */
export class PagerDutyRest {
  private readonly users = new Map<string, { id: string; at: number }>();

  constructor(
    private readonly token: string,
    private readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  acknowledge(incidentId: string, from: string): Promise<void> {
    return this.setIncident(incidentId, from, { status: 'acknowledged' });
  }

  resolve(incidentId: string, from: string): Promise<void> {
    return this.setIncident(incidentId, from, { status: 'resolved' });
  }

  /** Moves the incident to the next level of its escalation policy; returns that level. */
  async escalate(incidentId: string, from: string): Promise<number> {
    const { incident } = IncidentBody.parse(await this.call('GET', `/incidents/${path(incidentId)}`));
    const level = (incident.escalation_level ?? 1) + 1;
    await this.setIncident(incidentId, from, { escalation_level: level });
    return level;
  }

  async addNote(incidentId: string, from: string, content: string): Promise<void> {
    await this.call('POST', `/incidents/${path(incidentId)}/notes`, { from, data: { note: { content } } });
  }

  /** A PagerDuty service's name and escalation policy. */
  async service(serviceId: string): Promise<{ name: string; escalationPolicyId: string }> {
    const { service } = ServiceBody.parse(await this.call('GET', `/services/${path(serviceId)}`));
    return { name: service.name, escalationPolicyId: service.escalation_policy.id };
  }

  /** Who is on call now for an escalation policy, by level. */
  async onCall(escalationPolicyId: string): Promise<OnCall[]> {
    const body = Oncalls.parse(
      await this.call('GET', '/oncalls', {
        query: { 'escalation_policy_ids[]': [escalationPolicyId], earliest: 'true' },
      }),
    );
    return body.oncalls
      .map((entry) => ({
        level: entry.escalation_level,
        name: entry.user.summary ?? entry.user.id,
        schedule: entry.schedule?.summary ?? undefined,
        until: entry.end ?? undefined,
      }))
      .sort((a, b) => a.level - b.level);
  }

  /** The PagerDuty user with this email; a clear sentence when there is none. */
  async userIdByEmail(email: string): Promise<string> {
    const cached = this.users.get(email);
    if (cached && Date.now() - cached.at < USER_CACHE_MS) return cached.id;
    const { users } = Users.parse(await this.call('GET', '/users', { query: { query: email } }));
    const user = users.find((u) => u.email.toLowerCase() === email.toLowerCase());
    if (!user)
      throw new UserError(
        `There is no PagerDuty user with your Slack email (${email}); ask an admin to add you.`,
      );
    this.users.set(email, { id: user.id, at: Date.now() });
    return user.id;
  }

  private async setIncident(
    incidentId: string,
    from: string,
    fields: Record<string, unknown>,
  ): Promise<void> {
    await this.call('PUT', `/incidents/${path(incidentId)}`, {
      from,
      data: { incident: { type: 'incident_reference', ...fields } },
    });
  }

  private async call(
    method: Method,
    resource: string,
    options: { from?: string; data?: object; query?: Record<string, string | string[]> } = {},
  ): Promise<unknown> {
    // pdjs's full-call overload (a `url` given) resolves with the response and its parsed body.
    let response: { ok: boolean; status: number; data: unknown };
    try {
      response = await api({
        token: this.token,
        url: `${this.baseUrl.replace(/\/+$/, '')}${resource}`,
        method,
        timeout: this.timeoutMs,
        retryCount: 1,
        headers: options.from ? { From: options.from } : {},
        ...(options.data ? { data: options.data } : {}),
        ...(options.query ? { queryParameters: options.query } : {}),
      });
    } catch (error) {
      // Only the error's code: fetch errors can quote the request, headers and token included.
      const { code, type } = error as { code?: unknown; type?: unknown };
      const reason = typeof code === 'string' ? code : typeof type === 'string' ? type : 'no answer';
      throw new UnavailableError(`PagerDuty could not be reached (${reason}).`);
    }
    if (!response.ok) {
      const parsed = PdError.safeParse(response.data);
      const said = parsed.success
        ? [parsed.data.error?.message, ...(parsed.data.error?.errors ?? [])].filter(Boolean).join(': ')
        : '';
      throw new UnavailableError(`PagerDuty refused it (${response.status}${said ? `: ${said}` : ''}).`);
    }
    return response.data;
  }
}

/** An id as one path segment. */
function path(id: string): string {
  return encodeURIComponent(id);
}
