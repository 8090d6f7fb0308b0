import type { RoleSource, ScopedRole } from '../auth/roles.js';
import { untilText } from '../auth/until-text.js';
import type { AccessGrantStore } from './store.js';

/**
 * The roles just-in-time grants give at a moment: each active grant until its expires_at, on its service or
 * everywhere. Read at every decision, so a grant past its time counts for nothing even before the sweep marks it.
 */
export function grantRoles(store: Pick<AccessGrantStore, 'activeFor'>, timeZone: string): RoleSource {
  return {
    async rolesOf(userId, at) {
      return (await store.activeFor(userId, at)).map((grant): ScopedRole => {
        const until = untilText(grant.expires_at ?? at, at, timeZone);
        const how = grant.break_glass
          ? `:rotating_light: break-glass ${grant.id}`
          : `access grant ${grant.id}, approved by <@${grant.decided_by}>`;
        return {
          ...(grant.service ? { service: grant.service } : {}),
          held: {
            role: grant.role,
            source: `${grant.break_glass ? 'break-glass' : 'access grant'} ${grant.id} until ${until}`,
            temporary: `until ${until} (${how})`,
          },
        };
      });
    },
  };
}
