import { ROLES, type Role } from '../auth/roles.js';
import { UserError } from '../errors.js';
import { INCIDENT_ROLES, type IncidentRole } from '../incidents/incident.js';
import { type ParsedCommand, textAfter } from './parse.js';

/** The built-in verbs that are not actions. */
export type BuiltinIntent =
  | { kind: 'whoami' }
  | { kind: 'pick' }
  | { kind: 'audit'; count: number }
  | { kind: 'role-grant'; user: string; role: Role; service?: string }
  | { kind: 'role-revoke'; user: string; service?: string }
  | { kind: 'show'; service: string; lookup: string; args: string[]; named: Record<string, string> }
  | { kind: 'status'; service?: string }
  | { kind: 'pods'; service: string }
  | { kind: 'incident-declare'; severity: string; title: string; services: string[] }
  | { kind: 'incident-declare-form' }
  | { kind: 'incident-sev'; severity: string }
  | { kind: 'incident-role'; role: IncidentRole; user: string }
  | { kind: 'incident-update-form' }
  | { kind: 'incident-resolve'; summary: string }
  | { kind: 'note'; text: string }
  | { kind: 'timeline'; page: number }
  | { kind: 'oncall'; service?: string }
  | { kind: 'digest-now' };

const MENTION = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$|^([UW][A-Z0-9]{2,})$/;
const ROLE_USAGE =
  'Usage: `/ops role grant @user <viewer|responder|operator|admin> [service]` or `/ops role revoke @user [service]`.';

const INCIDENT_USAGE =
  'Usage: `/ops incident declare <SEV> <title>` · `incident sev <SEV>` · `incident role <commander|scribe|comms> @user` · `incident update` · `incident resolve <summary>`.';

/** The intent of a built-in verb, or undefined when the verb is not one that this version has. */
export function interpretBuiltin(parsed: ParsedCommand): BuiltinIntent | undefined {
  const { verb, args, named, raw } = parsed;
  switch (verb) {
    case 'incident':
      return interpretIncident(parsed);
    case 'digest':
      if (args.length !== 1 || args[0] !== 'now') throw new UserError('Usage: `/ops digest now`.');
      return { kind: 'digest-now' };
    case 'oncall': {
      const [service, ...extra] = args;
      if (extra.length > 0) throw new UserError('Usage: `/ops oncall [service]`.');
      return service ? { kind: 'oncall', service } : { kind: 'oncall' };
    }
    case 'note': {
      const text = textAfter(raw, 1);
      if (!text) throw new UserError('Usage: `/ops note <text>` in an incident channel.');
      return { kind: 'note', text };
    }
    case 'timeline': {
      const [page = '1', ...extra] = args;
      if (!/^\d{1,4}$/.test(page) || Number(page) < 1 || extra.length > 0) {
        throw new UserError('Usage: `/ops timeline [page]` in an incident channel.');
      }
      return { kind: 'timeline', page: Number(page) };
    }
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

function interpretIncident({ args, named, raw }: ParsedCommand): BuiltinIntent {
  const [sub, first, second, ...rest] = args;
  switch (sub) {
    case 'declare': {
      if (first === undefined) return { kind: 'incident-declare-form' };
      const title = textAfter(raw.replace(/(^|\s)services?=\S+/g, ' '), 3);
      if (!title) throw new UserError('Give the incident a title: `/ops incident declare SEV2 <title>`.');
      const services = (named.services ?? named.service ?? '').split(',').filter(Boolean);
      return { kind: 'incident-declare', severity: first, title, services };
    }
    case 'sev':
      if (first === undefined || second !== undefined)
        throw new UserError('Usage: `/ops incident sev <SEV>`.');
      return { kind: 'incident-sev', severity: first };
    case 'role': {
      const user = second === undefined ? undefined : userIdOf(second);
      if (!(INCIDENT_ROLES as readonly string[]).includes(first ?? '') || !user || rest.length > 0) {
        throw new UserError('Usage: `/ops incident role <commander|scribe|comms> @user`.');
      }
      return { kind: 'incident-role', role: first as IncidentRole, user };
    }
    case 'update':
      return { kind: 'incident-update-form' };
    case 'resolve': {
      const summary = textAfter(raw, 2);
      if (!summary) throw new UserError('Say how it ended: `/ops incident resolve <summary>`.');
      return { kind: 'incident-resolve', summary };
    }
    default:
      throw new UserError(INCIDENT_USAGE);
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
