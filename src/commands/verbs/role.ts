import { ROLES, type Role } from '../../auth/roles.js';
import { UserError } from '../../errors.js';
import { userIdOf } from '../mention.js';
import { text, type Verb } from './verb.js';

const USAGE =
  'Usage: `/ops role grant @user <viewer|responder|operator|admin> [service]` or `/ops role revoke @user [service]`.';

/** A role change asked for from Slack: everywhere, or on one service. */
type RoleChange =
  | { change: 'grant'; user: string; role: Role; service?: string }
  | { change: 'revoke'; user: string; service?: string };

/** `/ops role grant|revoke @user …`: admins grant or remove a role, audited. */
export const roleVerb: Verb<RoleChange, 'role'> = {
  name: 'role',
  usage: 'role grant @user <role> [service] · role revoke @user [service]',
  help: 'grant or remove a role, everywhere or on one service (admins only)',
  args({ args: [change, mention, ...rest] }) {
    const user = mention === undefined ? undefined : userIdOf(mention);
    if (change === 'grant') {
      const [role, service, ...extra] = rest;
      if (!user || !role || extra.length > 0) throw new UserError(USAGE);
      if (!isRole(role)) throw new UserError(`${role} is not a role; roles are ${ROLES.join(', ')}.`);
      return { change, user, role, ...(service ? { service } : {}) };
    }
    if (change === 'revoke') {
      const [service, ...extra] = rest;
      if (!user || extra.length > 0) throw new UserError(USAGE);
      return { change, user, ...(service ? { service } : {}) };
    }
    throw new UserError(USAGE);
  },
  async run({ actor, access }, args) {
    if (args.change === 'grant') return text(await access.grant(actor, args.user, args.role, args.service));
    return text(await access.revoke(actor, args.user, args.service));
  },
};

function isRole(word: string): word is Role {
  return (ROLES as readonly string[]).includes(word);
}
