import { type ActorRoles, type HeldRole, higher, type Role, roleOn, roleRank } from './roles.js';

/** What every decision names: who asks, what they hold, what they ask for (the label audited), the role needed. */
interface Asked {
  actor: string;
  roles: ActorRoles;
  action: string;
  requiredRole: Role;
}

/** An action (or, as `lookup`, a lookup) on one service, asked for in a channel: the allow-list applies. */
export interface PolicyInput extends Asked {
  kind?: 'action' | 'lookup';
  channel: string;
  /** Where it may be asked; empty means anywhere. */
  allowedChannels: readonly string[];
  service: string;
  /** Why the action kind refuses these arguments, if it does. */
  argumentProblem?: string | undefined;
}

/** A read of one service (status, pods, on-call, history) or a PagerDuty change on it: any channel. */
export interface ServiceInput extends Asked {
  kind: 'service';
  service: string;
}

/** What spans services (incident commands, `digest now`, the audit log): a role held anywhere counts. */
export interface AnywhereInput extends Asked {
  kind: 'incident' | 'digest' | 'audit';
  /** The services in ops.yml: a role on a service no longer there counts for nothing. */
  services: readonly string[];
}

/** Granting or revoking roles on one service, or on every service (then only a role held everywhere counts). */
export interface RolesInput extends Asked {
  kind: 'roles';
  requiredRole: 'admin';
  service?: string | undefined;
}

/** Everything a decision depends on, already resolved: the policy itself does no I/O. */
export type AnyInput = PolicyInput | ServiceInput | AnywhereInput | RolesInput;

export type Decision = { allow: true } | { allow: false; reason: string };

/**
 * The one policy, for every request: allow, or deny with one sentence that makes sense to the actor (and on a
 * run card). The channel allow-list first (actions and lookups), then the role that counts for the request's
 * scope, then an action kind's argument constraints.
 */
export function decide(input: AnyInput): Decision {
  const channel = channelRefusal(input);
  if (channel) return { allow: false, reason: channel };
  const held = heldFor(input);
  if (!held || roleRank(held.role) < roleRank(input.requiredRole)) {
    return { allow: false, reason: roleRefusal(input, held) };
  }
  if (isChannelBound(input) && input.argumentProblem) return { allow: false, reason: input.argumentProblem };
  return { allow: true };
}

function isChannelBound(input: AnyInput): input is PolicyInput {
  return input.kind === undefined || input.kind === 'action' || input.kind === 'lookup';
}

function channelRefusal(input: AnyInput): string | undefined {
  if (!isChannelBound(input)) return undefined;
  const { allowedChannels: allowed } = input;
  if (allowed.length === 0 || allowed.includes(input.channel)) return undefined;
  const what = input.kind === 'lookup' ? "Lookups can't be run" : "Actions can't be requested";
  return `${what} in this channel; use ${allowed.map((id) => `<#${id}>`).join(' or ')}.`;
}

/** The role that counts: the higher of the global role and the one on the service (or on any of the services). */
function heldFor(input: AnyInput): HeldRole | undefined {
  switch (input.kind) {
    case 'incident':
    case 'digest':
    case 'audit':
      return input.services.map((service) => roleOn(input.roles, service)).reduce(higher, input.roles.global);
    case 'roles':
      return input.service === undefined ? input.roles.global : roleOn(input.roles, input.service);
    default:
      return roleOn(input.roles, input.service);
  }
}

/** Each request's refusal as its users know it: what it needs, and what the actor holds. */
function roleRefusal(input: AnyInput, held: HeldRole | undefined): string {
  const { actor, action, requiredRole: needed } = input;
  const has = held ? `<@${actor}> is ${held.role} (${held.source})` : `<@${actor}> has no opsbot role`;
  switch (input.kind) {
    case undefined:
    case 'action':
    case 'lookup':
      return `\`${action}\` on ${input.service} needs ${needed}; ${has}.`;
    case 'service':
      return `\`${action}\` on ${input.service} needs ${needed}; ${held ? has : `${has} there`}.`;
    case 'incident':
      return `\`${action}\` needs ${needed}; ${has}.`;
    case 'digest':
      return `\`digest now\` needs ${needed} or above; ${has}.`;
    case 'audit':
      return `Reading the audit log needs ${needed} or above.`;
    case 'roles':
      return `Only an admin ${input.service ? `on ${input.service}` : 'on every service'} can grant or revoke roles there.`;
  }
}
