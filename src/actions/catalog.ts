import type { OpsConfig } from '../config/ops-config.js';
import { own } from '../config/own.js';
import { NotFoundError } from '../errors.js';
import { type ActionConfig, kindOf } from './registry.js';
import type { Risk } from './types.js';

/** A configured action, or undefined; user-typed names never find prototype members. */
export function findAction(
  config: Pick<OpsConfig, 'services'>,
  service: string,
  action: string,
): ActionConfig | undefined {
  const serviceConfig = own(config.services, service);
  return serviceConfig && own(serviceConfig.actions, action);
}

/** A configured action, or a NotFoundError naming what exists. */
export function requireAction(
  config: Pick<OpsConfig, 'services'>,
  service: string,
  action: string,
): ActionConfig {
  if (!own(config.services, service)) {
    const known = Object.keys(config.services).join(', ') || 'none';
    throw new NotFoundError(`There is no service called ${service} (configured: ${known}).`);
  }
  const found = findAction(config, service, action);
  if (!found) throw new NotFoundError(`${service} has no action called ${action}.`);
  return found;
}

/** An action's risk: its entry's, or what its kind works out (a runbook's riskiest step) from its service. */
export function riskOf(config: Pick<OpsConfig, 'services'>, service: string, action: ActionConfig): Risk {
  const of = (name: string): Risk | undefined => {
    const step = findAction(config, service, name);
    return step && step.kind !== 'runbook' ? step.risk : undefined;
  };
  return kindOf(action).risk?.(action, of) ?? action.risk;
}
