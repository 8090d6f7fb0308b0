import { ROLES, type Role } from '../actions/types.js';
import { UserError } from '../errors.js';
import type { ParsedCommand } from './parse.js';

/** The built-in verbs that are not actions. */
export type BuiltinIntent =
  | { kind: 'whoami' }
  | { kind: 'pick' }
  | { kind: 'audit'; count: number }
  | { kind: 'role-grant'; user: string; role: Role; service?: string }
  | { kind: 'role-revoke'; user: string; service?: string }
  | { kind: 'show'; service: string; lookup: string; args: string[]; named: Record<string, string> }
  | { kind: 'status'; service?: string }
  | { kind: 'pods'; service: string };

const MENTION = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$|^([UW][A-Z0-9]{2,})$/;
const ROLE_USAGE =
  'Usage: `/ops role grant @user <viewer|responder|operator|admin> [service]` or `/ops role revoke @user [service]`.';

/** The intent of a built-in verb, or undefined when the verb is not one that this version has. */
export function interpretBuiltin({ verb, args, named }: ParsedCommand): BuiltinIntent | undefined {
  switch (verb) {
    case 'status': {
      const [service, ...extra] = args;
      if (extra.length > 0) throw new UserError('Usage: `/ops status [service]`.');
      return service ? { kind: 'status', service } : { kind: 'status' };
    }
    case 'pods': {
      const [service, ...extra] = args;
      if (!service || extra.length > 0) throw new UserError('Usage: `/ops pods <service>`.');
      return { kind: 'pods', service };
    }
    case 'whoami':
      return { kind: 'whoami' };
    case 'run':
      return { kind: 'pick' };
    case 'audit': {
      const [count = '10'] = args;
      if (!/^\d+$/.test(count) || Number(count) < 1 || Number(count) > 50) {
        throw new UserError('Usage: `/ops audit [n]`, with n from 1 to 50.');
      }
      return { kind: 'audit', count: Number(count) };
    }
    case 'role':
      return interpretRole(args);
    case 'show': {
      const [service, lookup, ...rest] = args;
      if (!service || !lookup) throw new UserError('Usage: `/ops show <service> <lookup> [args…]`.');
      return { kind: 'show', service, lookup, args: rest, named };
    }
    default:
      return undefined;
  }
}

function interpretRole(args: string[]): BuiltinIntent {
  const [sub, mention, ...rest] = args;
  const user = mention === undefined ? undefined : userIdOf(mention);
  if (sub === 'grant') {
    const [role, service, ...extra] = rest;
    if (!user || !role || extra.length > 0) throw new UserError(ROLE_USAGE);
    if (!(ROLES as readonly string[]).includes(role)) {
      throw new UserError(`${role} is not a role; roles are ${ROLES.join(', ')}.`);
    }
    return { kind: 'role-grant', user, role: role as Role, ...(service ? { service } : {}) };
  }
  if (sub === 'revoke') {
    const [service, ...extra] = rest;
    if (!user || extra.length > 0) throw new UserError(ROLE_USAGE);
    return { kind: 'role-revoke', user, ...(service ? { service } : {}) };
  }
  throw new UserError(ROLE_USAGE);
}

/** The immutable Slack user ID in a mention (`<@U0ALICE|alice>`) or a bare ID; never a display name. */
function userIdOf(text: string): string | undefined {
  const match = MENTION.exec(text);
  return match ? (match[1] ?? match[2]) : undefined;
}
