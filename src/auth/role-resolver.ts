import type { OpsConfig } from '../config/ops-config.js';
import { own } from '../config/own.js';
import type { GrantStore } from './grants.js';
import type { GroupMembers } from './group-members.js';
import { type ActorRoles, configGroups, configRole, higher, type RoleSource } from './roles.js';

/**
 * Resolves what a Slack user ID holds, from ops.yml (users, groups, everyone), grants made in Slack, and roles
 * held for a time (`sources`: on-call shifts, access grants) as they stand now.
 */
export class RoleResolver {
  constructor(
    private readonly roles: OpsConfig['roles'],
    private readonly groups: GroupMembers,
    private readonly grants: GrantStore,
    private readonly sources: readonly RoleSource[] = [],
    private readonly now: () => Date = () => new Date(),
  ) {}

  async rolesOf(userId: string): Promise<ActorRoles> {
    const groupIds = configGroups(this.roles);
    const at = this.now();
    const [memberships, grants, temporary] = await Promise.all([
      Promise.all(groupIds.map(async (id) => [id, (await this.groups.members(id)).has(userId)] as const)),
      this.grants.forUser(userId),
      Promise.all(this.sources.map((source) => source.rolesOf(userId, at))).then((found) => found.flat()),
    ]);
    const memberOf = new Set(memberships.filter(([, member]) => member).map(([id]) => id));
    let global = configRole(userId, this.roles, (id) => memberOf.has(id));
    const services: ActorRoles['services'] = {};
    for (const grant of grants) {
      const held = { role: grant.role, source: `granted by <@${grant.granted_by}>` };
      if (grant.service === '') global = higher(global, held);
      else services[grant.service] = held;
    }
    // A role held for a time adds to what is held for good; on a tie the lasting one is what whoami names.
    for (const { service, held } of temporary) {
      if (service === undefined) global = higher(global, held);
      else services[service] = higher(own(services, service), held) ?? held;
    }
    return { ...(global ? { global } : {}), services, ...(temporary.length > 0 ? { temporary } : {}) };
  }
}
