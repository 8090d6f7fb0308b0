import { kindOf } from '../actions/registry.js';
import type { OpsConfig } from '../config/ops-config.js';
import { own } from '../config/own.js';

// What ops.yml says about a PagerDuty service: its opsbot service, its channel, the actions its cards suggest.

/** How many of the service's actions an alert card offers. */
export const SUGGESTED_ACTIONS = 3;

/**
 * The opsbot actions an alert card suggests: the mapped service's first three in ops.yml order, leaving out
 * kinds that are not suggestable (restore: destructive, typed confirmation). Order the file to choose them. Clicking one still goes through
 * authorization and confirmation like `/ops <action>`.
 */
export function suggestedActions(config: Pick<OpsConfig, 'services'>, service: string | null): string[] {
  const actions = service ? own(config.services, service)?.actions : undefined;
  return Object.entries(actions ?? {})
    .filter(([, action]) => kindOf(action).suggestable !== false)
    .slice(0, SUGGESTED_ACTIONS)
    .map(([name]) => name);
}

/**
 * Where a PagerDuty service's cards go: pagerduty.channel, else the ops channel. A per-service channel would
 * be read here, from a `services: { PSVC0A1: { service: bentham, channel: C0BENTHAM } }` form that keeps the
 * plain `PSVC0A1: bentham` valid; a card keeps the channel it was posted in (pagerduty_incidents.channel).
 */
export function alertChannel(config: Pick<OpsConfig, 'workspace' | 'pagerduty'>, _serviceId: string): string {
  return config.pagerduty?.channel ?? config.workspace.ops_channel;
}

/** The opsbot service pagerduty.services maps a PagerDuty service to. */
export function mappedService(config: Pick<OpsConfig, 'pagerduty'>, serviceId: string): string | null {
  return own(config.pagerduty?.services ?? {}, serviceId) ?? null;
}
