import { type Authority, servicesToRead } from '../auth/authorizer.js';
import type { OpsConfig } from '../config/ops-config.js';
import { NotFoundError, UnavailableError } from '../errors.js';
import type { PagerDutyRest } from './rest.js';
import type { OnCall } from './rest-oncall.js';

/** Who is on call for each PagerDuty service mapped to an opsbot service. */
export interface OnCallEntry {
  service: string;
  pagerDutyService: string;
  people: OnCall[];
}

export interface OnCallDeps extends Authority {
  config: Pick<OpsConfig, 'services' | 'pagerduty'>;
  /** Absent when PAGERDUTY_TOKEN is not set. */
  rest: PagerDutyRest | undefined;
}

/** `/ops oncall [service]`: the on-call people of the PagerDuty services ops.yml maps to the service. */
export class OnCallService {
  constructor(private readonly deps: OnCallDeps) {}

  async onCall(actor: string, service?: string): Promise<OnCallEntry[]> {
    const { config, rest } = this.deps;
    if (!rest) throw new UnavailableError('PagerDuty is not set up here (PAGERDUTY_TOKEN is not set).');
    const visible = await servicesToRead(this.deps, actor, 'oncall', Object.keys(config.services), service);
    const entries = Object.entries(config.pagerduty?.services ?? {});
    const mapped = entries.filter(([, name]) => visible.includes(name));
    if (mapped.length === 0) {
      throw new NotFoundError(
        service === undefined
          ? 'No PagerDuty services you may see are mapped in ops.yml (pagerduty.services).'
          : `No PagerDuty service is mapped to ${service} in ops.yml (pagerduty.services).`,
      );
    }
    return Promise.all(
      mapped.map(async ([pagerDutyId, name]) => {
        const pdService = await rest.service(pagerDutyId);
        return {
          service: name,
          pagerDutyService: pdService.name,
          people: await rest.onCall(pdService.escalationPolicyId),
        };
      }),
    );
  }
}

/** The entries as a Slack reply. */
export function onCallText(entries: OnCallEntry[]): string {
  return entries
    .map(({ service, pagerDutyService, people }) => {
      const lines = people.map(
        (p) =>
          `  L${p.level} ${p.name}${p.schedule ? ` (${p.schedule})` : ''}${p.until ? ` until ${p.until.slice(0, 16).replace('T', ' ')} UTC` : ''}`,
      );
      return [
        `*${service}* (PagerDuty: ${pagerDutyService})`,
        ...(lines.length > 0 ? lines : ['  _nobody is on call_']),
      ].join('\n');
    })
    .join('\n');
}
