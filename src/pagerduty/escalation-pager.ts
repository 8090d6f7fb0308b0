import type { Pool } from 'pg';
import type { Env } from '../config/env.js';
import type { OpsConfig } from '../config/ops-config.js';
import { UserError } from '../errors.js';
import type { EscalationPager, Paged, PageRequest } from '../incidents/escalation.js';
import type { Incident } from '../incidents/incident.js';
import type { Logger } from '../log.js';
import { DeclarationStore } from './declaration-store.js';
import type { UserEmail } from './ports.js';
import { PagerDutyRest } from './rest.js';
import type { PagerDutyIncident } from './rest-incidents.js';

export interface EscalationPagerDeps {
  rest: PagerDutyRest;
  declarations: Pick<DeclarationStore, 'declaredFrom'>;
  config: Pick<OpsConfig, 'pagerduty'>;
  /** A Slack user's profile email: the commander's is the request's `From`. */
  email: UserEmail;
}

/**
 * Pages PagerDuty for an escalation step with `page: { escalation_policy }`, as the incident's commander (their
 * Slack email is `From`, so PagerDuty records a person, as for the alert cards' buttons).
 *
 * The incident's PagerDuty incident, when it has one that is not resolved (the one it was declared from on an
 * alert card, else the one an earlier step paged), is moved (while the card's declaration is still being
 * linked, the page waits for it): to the next level when it already is on that
 * policy (a chain L1 → L2 → L3 on one policy), else handed to that policy. Otherwise a new PagerDuty incident
 * is triggered on that policy, on the PagerDuty service `pagerduty.services` maps to one of the incident's
 * services, with the dedup key `opsbot-<incident>-escalation-<step>`: a retry after a call whose answer was
 * lost finds it instead of triggering a second.
 */
export class PagerDutyEscalationPager implements EscalationPager {
  constructor(private readonly deps: EscalationPagerDeps) {}

  async page(request: PageRequest): Promise<Paged | 'later'> {
    const { rest } = this.deps;
    const { incident, policy } = request;
    const declaredFrom = await this.deps.declarations.declaredFrom(incident);
    if (declaredFrom && !declaredFrom.linked) return 'later';
    const from = await this.from(incident);
    const existing = declaredFrom?.id ?? request.earlier;
    const current = existing ? await rest.incident(existing) : undefined;
    if (current && current.status !== 'resolved') {
      if (current.escalationPolicyId === policy) {
        const level = await rest.escalate(current.id, from);
        return done(current, `escalated ${current.name} to level ${level} of escalation policy ${policy}.`);
      }
      await rest.reassign(current.id, from, policy);
      return done(current, `handed ${current.name} to escalation policy ${policy}.`);
    }
    const serviceId = this.serviceId(incident);
    const key = `opsbot-${incident.id}-escalation-${request.step}`;
    const triggered =
      (await rest.incidentByKey(key)) ??
      (await rest.trigger(from, {
        title: `${incident.id} (${incident.severity}): ${incident.title}`,
        serviceId,
        escalationPolicyId: policy,
        key,
        details: `opsbot incident ${incident.id} is still unresolved; its Slack channel is #${incident.channel_name}.`,
      }));
    return done(triggered, `triggered ${triggered.name} on escalation policy ${policy}.`);
  }

  /** The commander's (or the declarer's) email. */
  private async from(incident: Incident): Promise<string> {
    const commander = incident.commander ?? incident.declared_by;
    const email = await this.deps.email(commander);
    if (!email) {
      throw new UserError(
        `opsbot cannot see an email on the commander <@${commander}>'s Slack profile, so PagerDuty cannot know who pages.`,
      );
    }
    return email;
  }

  /** The PagerDuty service mapped to the first of the incident's services that has one. */
  private serviceId(incident: Incident): string {
    const mapped = Object.entries(this.deps.config.pagerduty?.services ?? {});
    for (const service of incident.services) {
      const found = mapped.find(([, opsbotService]) => opsbotService === service);
      if (found) return found[0];
    }
    const named = incident.services.join(', ') || 'none';
    throw new UserError(
      `no PagerDuty service is mapped to the incident's services (${named}) in pagerduty.services, so there is nowhere to trigger it.`,
    );
  }
}

function done(incident: PagerDutyIncident, text: string): Paged {
  return { pagerDutyIncidentId: incident.id, text };
}

interface PagerWiring {
  env: Pick<Env, 'PAGERDUTY_TOKEN' | 'PAGERDUTY_API_URL'>;
  config: Pick<OpsConfig, 'pagerduty' | 'incidents'>;
  pool: Pool;
  email: UserEmail;
  log: Logger;
}

/**
 * The escalation pager on PAGERDUTY_TOKEN; undefined without it (a step's page is then said in the incident
 * channel to be impossible until it is set, and tried again), with a warning at start when a step pages.
 */
export function createEscalationPager(wiring: PagerWiring): EscalationPager | undefined {
  const { env, config, pool, email, log } = wiring;
  if (!env.PAGERDUTY_TOKEN) {
    if (config.incidents.escalation.some((step) => step.page)) {
      log.warn('incidents.escalation has steps with page: but PAGERDUTY_TOKEN is not set: they cannot page');
    }
    return undefined;
  }
  const rest = new PagerDutyRest(env.PAGERDUTY_TOKEN, env.PAGERDUTY_API_URL);
  return new PagerDutyEscalationPager({ rest, declarations: new DeclarationStore(pool), config, email });
}
