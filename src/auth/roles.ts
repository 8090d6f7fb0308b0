import { ROLES, type Role } from '../actions/types.js';
import type { OpsConfig } from '../config/ops-config.js';

/** The role a user holds and the ops.yml grant it comes from. */
export interface RoleGrant {
  role: Role;
  source: string;
}

/** Ranks roles so that a higher role includes the lower ones. */
export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

/**
 * The highest role ops.yml grants this Slack user ID, or undefined (deny by default).
 * User groups are matched in a later step; until then a group grant gives nothing.
 */
export function roleOf(userId: string, roles: OpsConfig['roles']): RoleGrant | undefined {
  for (const role of [...ROLES].reverse()) {
    const grant = roles[role];
    if (!grant) continue;
    if (grant.users.includes(userId)) return { role, source: `roles.${role}.users` };
    if (grant.everyone) return { role, source: `roles.${role}.everyone` };
  }
  return undefined;
}
