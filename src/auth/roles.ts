import { own } from '../config/own.js';

/** opsbot's roles, lowest first: each includes the ones before it. */
export const ROLES = ['viewer', 'responder', 'operator', 'admin'] as const;

export type Role = (typeof ROLES)[number];

/** Who ops.yml grants one role to (`roles.<role>`): users, user groups, or everyone. */
export interface RoleGrant {
  users: readonly string[];
  groups: readonly string[];
  everyone: boolean;
}

/** ops.yml's `roles` section, as the role lookups read it. */
export type RoleGrants = Partial<Record<Role, RoleGrant>>;

/** A role someone holds and where it comes from, in words an admin can check. */
export interface HeldRole {
  role: Role;
  source: string;
  /**
   * For a role held for a time (on call, an access grant), how long, as whoami says it after the role:
   * `while on call (PagerDuty, level 1, until 09:00)`, `until 14:30 (access grant acc_…, approved by …)`.
   */
  temporary?: string;
}

/** A role held on one service, or everywhere when `service` is absent. */
export interface ScopedRole {
  service?: string;
  held: HeldRole;
}

/** Everything a user holds: a role everywhere, and roles on particular services. */
export interface ActorRoles {
  global?: HeldRole;
  services: Record<string, HeldRole>;
  /** Every role held for a time, including those a higher role outranks (whoami lists them all). */
  temporary?: ScopedRole[];
}

/**
 * Roles that come from somewhere other than ops.yml and `/ops role grant`, as they stand at `at`: on-call
 * shifts, access grants. Asked at every decision, so one that has ended counts for nothing from then on.
 */
export interface RoleSource {
  rolesOf(userId: string, at: Date): Promise<ScopedRole[]>;
}

/** Ranks roles so that a higher role includes the lower ones. */
export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

/** The higher of two held roles (the first on a tie). */
export function higher(a: HeldRole | undefined, b: HeldRole | undefined): HeldRole | undefined {
  if (!a) return b;
  if (!b) return a;
  return roleRank(b.role) > roleRank(a.role) ? b : a;
}

/** The role that counts on one service: the higher of the global role and the one scoped to it. */
export function roleOn(roles: ActorRoles, service: string): HeldRole | undefined {
  return higher(roles.global, own(roles.services, service));
}

/** Every Slack user-group ID that ops.yml grants a role to. */
export function configGroups(roles: RoleGrants): string[] {
  return [...new Set(Object.values(roles).flatMap((grant) => grant?.groups ?? []))];
}

/**
 * The highest role ops.yml grants a Slack user ID, given the user groups they are in; undefined when none
 * (deny by default).
 */
export function configRole(
  userId: string,
  roles: RoleGrants,
  inGroup: (groupId: string) => boolean,
): HeldRole | undefined {
  for (const role of [...ROLES].reverse()) {
    const grant = roles[role];
    if (!grant) continue;
    if (grant.users.includes(userId)) return { role, source: `ops.yml roles.${role}.users` };
    const group = grant.groups.find(inGroup);
    if (group) return { role, source: `ops.yml roles.${role}.groups (<!subteam^${group}>)` };
    if (grant.everyone) return { role, source: `ops.yml roles.${role}.everyone` };
  }
  return undefined;
}
