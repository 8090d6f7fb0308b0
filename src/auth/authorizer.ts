import type { ParamValues } from '../actions/params.js';
import { type ActionConfig, kindOf } from '../actions/registry.js';
import type { AuditEntry } from '../audit/audit-log.js';
import type { OpsConfig } from '../config/ops-config.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.js';
import { type AnywhereInput, type Decision, decide, type RolesInput, type ServiceInput } from './policy.js';
import type { ActorRoles, Role } from './roles.js';

/** Where authorization is checked again (DESIGN §8: where the request arrives and where the effect happens). */
export type Checkpoint = 'request' | 'confirm' | 'approve' | 'execute';

/** One actor wanting one configured action, here, with these arguments. */
export interface AccessRequest {
  kind?: 'action';
  actor: string;
  channel: string;
  service: string;
  action: string;
  config: ActionConfig;
  params?: ParamValues;
}

/** `/ops show <service> <lookup>`: authorized as an action is, in the same channels; `action` is `show <lookup>`. */
export interface LookupRequest {
  kind: 'lookup';
  actor: string;
  channel: string;
  service: string;
  action: string;
  requiredRole: Role;
}

/** A request no channel allow-list limits: on one service, spanning services, or a role change. */
export type OpenRequest = (
  | Omit<ServiceInput, 'roles'>
  | Omit<AnywhereInput, 'roles'>
  | Omit<RolesInput, 'roles'>
) & {
  /** Where it was asked, recorded with a refusal. */
  channel?: string;
};

/** Anything the one policy decides. */
export type AuthRequest = AccessRequest | LookupRequest | OpenRequest;

/** A refusal as audited: who, what, on which service and run, where, at which checkpoint and why. */
export type Denial = Omit<AuditEntry, 'event'>;

/** What deciding needs besides the pure policy: who holds what, and where a refusal is written. */
export interface Authority {
  rolesOf(userId: string): Promise<ActorRoles>;
  auditDenial(entry: Denial): Promise<void>;
}

/** ...and, for what is asked in a channel (actions, lookups), the channels it may be asked in. */
export interface ChannelAuthority extends Authority {
  config: Pick<OpsConfig, 'channels'>;
  /** Whether the channel belongs to an open incident: actions and lookups may be asked for there too. */
  isIncidentChannel?(channel: string): Promise<boolean>;
}

/** When a decision is made, and with which roles if they are already resolved. */
export interface At {
  checkpoint?: Checkpoint;
  runId?: string | undefined;
  roles?: ActorRoles;
}

/** Either authority: authorize()'s overloads let only a ChannelAuthority decide a channel-bound request. */
type AnyAuthority = Authority & Partial<Pick<ChannelAuthority, 'config' | 'isIncidentChannel'>>;

/** The policy's decision on a request, with the actor's roles resolved now unless given. */
async function decision(deps: AnyAuthority, request: AuthRequest, given?: ActorRoles): Promise<Decision> {
  const roles = given ?? (await deps.rolesOf(request.actor));
  switch (request.kind) {
    case undefined:
    case 'action': {
      const { config, params } = request;
      return decide({
        actor: request.actor,
        roles,
        channel: request.channel,
        allowedChannels: await allowedChannels(deps as ChannelAuthority, request.channel),
        service: request.service,
        action: request.action,
        requiredRole: config.role,
        argumentProblem: params ? kindOf(config).constraints?.(config, params) : undefined,
      });
    }
    case 'lookup':
      return decide({
        ...request,
        roles,
        allowedChannels: await allowedChannels(deps as ChannelAuthority, request.channel),
      });
    default:
      return decide({ ...request, roles });
  }
}

/** ops.yml's channel allow-list, plus this channel when it is an open incident's. */
async function allowedChannels(deps: ChannelAuthority, channel: string): Promise<readonly string[]> {
  const allowed = deps.config.channels.allow;
  if (allowed.length === 0 || allowed.includes(channel)) return allowed;
  return (await deps.isIncidentChannel?.(channel)) ? [...allowed, channel] : allowed;
}

/** Throws a ForbiddenError with the policy's reason, after auditing it, unless the request is allowed. */
export function authorize(deps: ChannelAuthority, request: AuthRequest, at?: At): Promise<void>;
export function authorize(deps: Authority, request: OpenRequest, at?: At): Promise<void>;
export async function authorize(deps: AnyAuthority, request: AuthRequest, at: At = {}): Promise<void> {
  const decided = await decision(deps, request, at.roles);
  if (decided.allow) return;
  await auditRefusal(deps, request, decided.reason, at);
  throw new ForbiddenError(decided.reason);
}

/** Seeing one service (its status, pods, on-call, history): viewer or above there, in any channel. */
export function viewing(actor: string, service: string, action: string): OpenRequest {
  return { kind: 'service', actor, service, action, requiredRole: 'viewer' };
}

/**
 * Of these services, the ones the actor may see (viewer or above there, as `action` on each would be decided):
 * what a listing shows them. Nothing is audited: leaving a service out of a listing refuses nothing.
 */
export async function viewable(
  deps: Authority,
  actor: string,
  action: string,
  services: readonly string[],
  given?: ActorRoles,
): Promise<string[]> {
  const roles = given ?? (await deps.rolesOf(actor));
  const decisions = await Promise.all(
    services.map((service) => decision(deps, viewing(actor, service, action), roles)),
  );
  return services.filter((_, i) => decisions[i]?.allow);
}

/** The one place a refusal is audited, in the one shape every refusal has. */
function auditRefusal(
  deps: Pick<Authority, 'auditDenial'>,
  request: { actor: string; action: string; service?: string | undefined; channel?: string | undefined },
  reason: string,
  { checkpoint = 'request', runId }: At = {},
): Promise<void> {
  const { actor, action, service, channel } = request;
  return deps.auditDenial({
    actor,
    ...(service !== undefined ? { service } : {}),
    action,
    ...(runId ? { runId } : {}),
    detail: { checkpoint, reason, ...(channel !== undefined ? { channel } : {}) },
  });
}

export interface AuthorizerDeps extends ChannelAuthority {
  config: Pick<OpsConfig, 'channels' | 'workspace'>;
  /** Counts a user's request; false when they are over their per-minute limit. */
  takeRequest(userId: string): Promise<boolean>;
}

/** The one authorizer bound to its dependencies, plus the per-user action quota. */
export class Authorizer {
  constructor(private readonly deps: AuthorizerDeps) {}

  /** The policy's decision; pass `roles` when deciding many requests for one actor. */
  decide(request: AuthRequest, roles?: ActorRoles): Promise<Decision> {
    return decision(this.deps, request, roles);
  }

  /** Throws a ForbiddenError with the policy's reason, after auditing it, unless the request is allowed. */
  require(request: AuthRequest, checkpoint: Checkpoint = 'request', runId?: string): Promise<void> {
    return authorize(this.deps, request, { checkpoint, runId });
  }

  /** Audits a refusal that needs no policy (the wrong person pressing a button) and returns its error. */
  async refuse(
    request: Omit<AccessRequest, 'config'>,
    checkpoint: Checkpoint,
    reason: string,
    runId?: string,
  ): Promise<ForbiddenError> {
    await auditRefusal(this.deps, request, reason, { checkpoint, runId });
    return new ForbiddenError(reason);
  }

  /** Counts an action request against the user's per-minute limit; refuses (and audits) one over it. */
  async requireQuota(request: Omit<AccessRequest, 'config'>): Promise<void> {
    if (await this.deps.takeRequest(request.actor)) return;
    const perMinute = this.deps.config.workspace.requests_per_minute;
    await auditRefusal(this.deps, request, 'rate limited');
    throw new ConflictError(
      `You have requested ${perMinute} actions this minute; wait a moment and try again.`,
    );
  }
}

/**
 * The services a read (`status`, `history`) covers: the one named, refused and audited unless the actor may
 * view it, or else every configured service the actor may view.
 */
export async function servicesToRead(
  deps: Authority,
  actor: string,
  action: string,
  configured: readonly string[],
  service?: string,
): Promise<string[]> {
  if (service === undefined) return viewable(deps, actor, action, configured);
  if (!configured.includes(service)) throw new NotFoundError(`There is no service called ${service}.`);
  await authorize(deps, viewing(actor, service, action));
  return [service];
}
