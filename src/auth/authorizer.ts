import type { ParamValues } from '../actions/params.js';
import { type ActionConfig, kindOf } from '../actions/registry.js';
import type { AuditEntry } from '../audit/audit-log.js';
import type { OpsConfig } from '../config/ops-config.js';
import { ConflictError, ForbiddenError } from '../errors.js';
import { type Decision, decide } from './policy.js';
import type { ActorRoles } from './roles.js';

/** Where authorization is checked again (DESIGN §8: where the request arrives and where the effect happens). */
export type Checkpoint = 'request' | 'confirm' | 'approve' | 'execute';

/** One actor wanting one configured action, here, with these arguments. */
export interface AccessRequest {
  actor: string;
  channel: string;
  service: string;
  action: string;
  config: ActionConfig;
  params?: ParamValues;
}

export interface AuthorizerDeps {
  config: Pick<OpsConfig, 'channels' | 'workspace'>;
  rolesOf(userId: string): Promise<ActorRoles>;
  /** Counts a user's request; false when they are over their per-minute limit. */
  takeRequest(userId: string): Promise<boolean>;
  auditDenial(entry: Omit<AuditEntry, 'event' | 'runId'> & { runId?: string }): Promise<void>;
  /** Whether the channel belongs to an open incident: actions may be requested there too. */
  isIncidentChannel?(channel: string): Promise<boolean>;
}

/** Resolves the actor's roles now and applies the pure policy; every denial is audited. */
export class Authorizer {
  constructor(private readonly deps: AuthorizerDeps) {}

  /** The policy's decision; pass `roles` when deciding many actions for one actor. */
  async decide(request: AccessRequest, roles?: ActorRoles): Promise<Decision> {
    const { config } = request;
    return decide({
      actor: request.actor,
      roles: roles ?? (await this.deps.rolesOf(request.actor)),
      channel: request.channel,
      allowedChannels: await this.allowedChannels(request.channel),
      service: request.service,
      action: request.action,
      requiredRole: config.role,
      argumentProblem: request.params ? kindOf(config).constraints?.(config, request.params) : undefined,
    });
  }

  /** ops.yml's channel allow-list, plus this channel when it is an open incident's. */
  private async allowedChannels(channel: string): Promise<string[]> {
    const allowed = this.deps.config.channels.allow;
    if (allowed.length === 0 || allowed.includes(channel)) return allowed;
    return (await this.deps.isIncidentChannel?.(channel)) ? [...allowed, channel] : allowed;
  }

  /** Counts an action request against the user's per-minute limit; refuses (and audits) one over it. */
  async requireQuota(request: Omit<AccessRequest, 'config'>): Promise<void> {
    if (await this.deps.takeRequest(request.actor)) return;
    const perMinute = this.deps.config.workspace.requests_per_minute;
    await this.deps.auditDenial({
      actor: request.actor,
      service: request.service,
      action: request.action,
      detail: { checkpoint: 'request', reason: 'rate limited', channel: request.channel },
    });
    throw new ConflictError(
      `You have requested ${perMinute} actions this minute; wait a moment and try again.`,
    );
  }

  /** Throws a ForbiddenError with the policy's reason, after auditing it, unless the request is allowed. */
  async require(request: AccessRequest, checkpoint: Checkpoint, runId?: string): Promise<void> {
    const decision = await this.decide(request);
    if (!decision.allow) throw await this.refuse(request, checkpoint, decision.reason, runId);
  }

  /** Audits a refusal that needs no policy (the wrong person pressing a button) and returns its error. */
  async refuse(
    request: Omit<AccessRequest, 'config'>,
    checkpoint: Checkpoint,
    reason: string,
    runId?: string,
  ): Promise<ForbiddenError> {
    await this.deps.auditDenial({
      actor: request.actor,
      service: request.service,
      action: request.action,
      ...(runId ? { runId } : {}),
      detail: { checkpoint, reason, channel: request.channel },
    });
    return new ForbiddenError(reason);
  }
}
