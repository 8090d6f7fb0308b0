import { api } from '@pagerduty/pdjs';
import { z } from 'zod';
import { ConflictError, UnavailableError, UserError } from '../errors.js';
import {
  IncidentBody,
  IncidentList,
  incidentOf,
  type NewPagerDutyIncident,
  type PagerDutyIncident,
} from './rest-incidents.js';
import { type OnCall, type OnCallShift, Oncalls, PolicyBody, ServiceBody } from './rest-oncall.js';

/** How long a user's PagerDuty id is remembered, by email. */
const USER_CACHE_MS = 60 * 60_000;

const PdError = z.object({
  error: z.object({ message: z.string().optional(), errors: z.array(z.string()).optional() }).optional(),
});
const Users = z.object({ users: z.array(z.object({ id: z.string(), email: z.string() })) });
type Method = 'GET' | 'PUT' | 'POST';

/**
 * The PagerDuty REST API v2 through @pagerduty/pdjs. Changes are made as a person: their email goes in
 * `From`, so PagerDuty records them, never the integration's token, as who acknowledged or resolved. A
 * request answered 429 (rate limited) is sent again after `rateLimitWaitMs` (pdjs's own 20 s by default).
 */
export class PagerDutyRest {
  private readonly users = new Map<string, { id: string; at: number }>();

  constructor(
    private readonly token: string,
    private readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
    private readonly rateLimitWaitMs = 20_000,
  ) {}

  acknowledge(incidentId: string, from: string): Promise<void> {
    return this.setIncident(incidentId, from, { status: 'acknowledged' });
  }

  resolve(incidentId: string, from: string): Promise<void> {
    return this.setIncident(incidentId, from, { status: 'resolved' });
  }

  /**
   * Moves the incident to the next level of its escalation policy; returns that level. When that cannot be
   * done safely (resolved, at the last level, level unknown) nothing is sent and one sentence says why.
   */
  async escalate(incidentId: string, from: string): Promise<number> {
    const { incident } = IncidentBody.parse(await this.call('GET', `/incidents/${path(incidentId)}`));
    const name = `PagerDuty ${incident.incident_number !== undefined ? `#${incident.incident_number}` : incident.id}`;
    if (incident.status === 'resolved')
      throw new ConflictError(`${name} is resolved; there is nothing to escalate.`);
    const policyId = incident.escalation_policy?.id;
    if (!policyId) throw new ConflictError(`${name} has no escalation policy to escalate along.`);
    const level = await this.levelOf(
      name,
      policyId,
      incident.assignments.map((a) => a.assignee.id),
    );
    const { escalation_policy: policy } = PolicyBody.parse(
      await this.call('GET', `/escalation_policies/${path(policyId)}`),
    );
    const last = policy.escalation_rules.length;
    if (level >= last) {
      // A looping policy is not wrapped round to level 1: a button named Escalate never moves an incident down
      // (that would unassign the top level and page the first responder again), and PagerDuty starts the policy
      // over by itself when the last level times out. Least surprise: do nothing and say so, as without loops.
      const loops =
        (policy.num_loops ?? 0) > 0 ? ', which starts over at level 1 by itself if nobody acknowledges' : '';
      throw new ConflictError(
        `${name} is already at the last level (${last}) of its escalation policy${loops}.`,
      );
    }
    await this.setIncident(incidentId, from, { escalation_level: level + 1 });
    return level + 1;
  }

  /**
   * The level of the escalation policy an incident is at: the level at which the people assigned to it are on
   * call now (GET /oncalls), all of them if one level has them all, else any of them (someone added by hand).
   * No level, or more than one (someone on call at two levels), is said, not guessed: a wrong guess would skip
   * a level or move the incident down.
   */
  private async levelOf(name: string, policyId: string, assignees: string[]): Promise<number> {
    const unknown = `opsbot cannot tell which level of its escalation policy ${name} is at`;
    if (assignees.length === 0)
      throw new ConflictError(`${unknown}: nobody is assigned to it; escalate it in PagerDuty.`);
    const { oncalls } = Oncalls.parse(
      await this.call('GET', '/oncalls', {
        query: { 'escalation_policy_ids[]': [policyId], 'user_ids[]': assignees },
      }),
    );
    const at = (level: number) =>
      new Set(oncalls.filter((o) => o.escalation_level === level).map((o) => o.user.id));
    const any = [
      ...new Set(oncalls.filter((o) => assignees.includes(o.user.id)).map((o) => o.escalation_level)),
    ].sort((a, b) => a - b);
    const all = any.filter((level) => assignees.every((user) => at(level).has(user)));
    const levels = all.length > 0 ? all : any;
    const [level] = levels;
    if (level === undefined) {
      throw new ConflictError(
        `${unknown}: nobody assigned to it is on call on that policy now; escalate it in PagerDuty.`,
      );
    }
    if (levels.length > 1) {
      const named = `${levels.slice(0, -1).join(', ')} and ${levels.at(-1)}`;
      throw new ConflictError(
        `${unknown}: its assignees are on call at levels ${named}; escalate it in PagerDuty.`,
      );
    }
    return level;
  }

  async incident(incidentId: string): Promise<PagerDutyIncident> {
    return incidentOf(IncidentBody.parse(await this.call('GET', `/incidents/${path(incidentId)}`)).incident);
  }

  /** The incident triggered with this dedup key (incident_key), if there is one. */
  async incidentByKey(key: string): Promise<PagerDutyIncident | undefined> {
    const { incidents } = IncidentList.parse(
      await this.call('GET', '/incidents', { query: { incident_key: key } }),
    );
    return incidents[0] ? incidentOf(incidents[0]) : undefined;
  }

  /** Triggers an incident on a service, assigned to an escalation policy (POST /incidents). */
  async trigger(from: string, incident: NewPagerDutyIncident): Promise<PagerDutyIncident> {
    const data = {
      incident: {
        type: 'incident',
        title: incident.title.slice(0, 1024),
        service: { id: incident.serviceId, type: 'service_reference' },
        escalation_policy: { id: incident.escalationPolicyId, type: 'escalation_policy_reference' },
        incident_key: incident.key,
        urgency: 'high',
        body: { type: 'incident_body', details: incident.details },
      },
    };
    return incidentOf(IncidentBody.parse(await this.call('POST', '/incidents', { from, data })).incident);
  }

  /** Hands the incident to another escalation policy: PagerDuty notifies that policy's first level. */
  reassign(incidentId: string, from: string, escalationPolicyId: string): Promise<void> {
    return this.setIncident(incidentId, from, {
      escalation_policy: { id: escalationPolicyId, type: 'escalation_policy_reference' },
    });
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

  /**
   * The shifts on call now for an escalation policy: who (PagerDuty user id), at which level, and when the shift
   * started and ends (null: always on call at that level, not through a schedule). A shift with a time that
   * cannot be read is left out, so it never lasts for ever by mistake.
   */
  async onCallShifts(escalationPolicyId: string): Promise<OnCallShift[]> {
    const body = Oncalls.parse(
      await this.call('GET', '/oncalls', {
        query: { 'escalation_policy_ids[]': [escalationPolicyId], earliest: 'true', limit: '100' },
      }),
    );
    const time = (text: string | null | undefined) => (text ? new Date(text) : null);
    return body.oncalls
      .map((entry) => ({
        user: entry.user.id,
        level: entry.escalation_level,
        start: time(entry.start),
        end: time(entry.end),
      }))
      .filter(({ start, end }) => !Number.isNaN(start?.getTime() ?? 0) && !Number.isNaN(end?.getTime() ?? 0));
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
        // pdjs sends a request PagerDuty answered 429 again after this wait, up to three times.
        retryTimeout: this.rateLimitWaitMs,
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
