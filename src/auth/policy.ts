import type { Role } from '../actions/types.js';
import type { OpsConfig } from '../config/ops-config.js';
import { roleOf, roleRank } from './roles.js';

/** Who asks for what, and where. */
export interface PolicyRequest {
  actor: string;
  channel: string;
  service: string;
  action: string;
  /** The role the action requires. */
  role: Role;
}

export type Decision = { allow: true } | { allow: false; reason: string };

/** Decides, without side effects, whether the actor may run the action here; denial reasons are user-facing. */
export function decide(request: PolicyRequest, config: Pick<OpsConfig, 'roles' | 'channels'>): Decision {
  const { allow } = config.channels;
  if (allow.length > 0 && !allow.includes(request.channel)) {
    return {
      allow: false,
      reason: `Actions can't be requested in this channel; use ${allow.map((id) => `<#${id}>`).join(' or ')}.`,
    };
  }
  const grant = roleOf(request.actor, config.roles);
  if (!grant) {
    return { allow: false, reason: `You have no opsbot role; \`${request.action}\` needs ${request.role}.` };
  }
  if (roleRank(grant.role) < roleRank(request.role)) {
    return {
      allow: false,
      reason: `\`${request.action}\` on ${request.service} needs ${request.role}; you are ${grant.role}.`,
    };
  }
  return { allow: true };
}
