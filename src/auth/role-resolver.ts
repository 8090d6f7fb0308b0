import type { OpsConfig } from '../config/ops-config.js';
import type { GrantStore } from './grants.js';
import type { GroupMembers } from './group-members.js';
import { type ActorRoles, configGroups, configRole, higher } from './roles.js';

/** Resolves what a Slack user ID holds, from ops.yml (users, groups, everyone) and grants made in Slack. */
export class RoleResolver {
  constructor(
    private readonly roles: OpsConfig['roles'],
    private readonly groups: GroupMembers,
    private readonly grants: GrantStore,
  ) {}

  async rolesOf(userId: string): Promise<ActorRoles> {
    const groupIds = configGroups(this.roles);
    const [memberships, grants] = await Promise.all([
      Promise.all(groupIds.map(async (id) => [id, (await this.groups.members(id)).has(userId)] as const)),
      this.grants.forUser(userId),
    ]);
    const memberOf = new Set(memberships.filter(([, member]) => member).map(([id]) => id));
    let global = configRole(userId, this.roles, (id) => memberOf.has(id));
    const services: ActorRoles['services'] = {};
    for (const grant of grants) {
      const held = { role: grant.role, source: `granted by <@${grant.granted_by}>` };
      if (grant.service === '') global = higher(global, held);
      else services[grant.service] = held;
    }
    return { ...(global ? { global } : {}), services };
  }
}
