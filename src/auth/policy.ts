import { type ActorRoles, type Role, roleOn, roleRank } from './roles.js';

/** Everything a decision depends on, already resolved: the policy itself does no I/O. */
export interface PolicyInput {
  actor: string;
  roles: ActorRoles;
  channel: string;
  /** Where actions may be requested; empty means anywhere. */
  allowedChannels: readonly string[];
  service: string;
  action: string;
  /** The role the action requires on its service. */
  requiredRole: Role;
  /** Why the action kind refuses these arguments, if it does. */
  argumentProblem?: string | undefined;
}

export type Decision = { allow: true } | { allow: false; reason: string };

/**
 * Allow, or deny with one sentence that makes sense to the actor and on a run card: channel allow-list,
 * then the role held on the service, then the kind's argument constraints.
 */
export function decide(input: PolicyInput): Decision {
  const { allowedChannels: allowed } = input;
  if (allowed.length > 0 && !allowed.includes(input.channel)) {
    return {
      allow: false,
      reason: `Actions can't be requested in this channel; use ${allowed.map((id) => `<#${id}>`).join(' or ')}.`,
    };
  }
  const needs = `\`${input.action}\` on ${input.service} needs ${input.requiredRole}`;
  const held = roleOn(input.roles, input.service);
  if (!held) return { allow: false, reason: `${needs}; <@${input.actor}> has no opsbot role.` };
  if (roleRank(held.role) < roleRank(input.requiredRole)) {
    return { allow: false, reason: `${needs}; <@${input.actor}> is ${held.role} (${held.source}).` };
  }
  if (input.argumentProblem) return { allow: false, reason: input.argumentProblem };
  return { allow: true };
}
