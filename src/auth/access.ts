import type { ActionConfig } from '../actions/registry.js';
import type { OpsConfig } from '../config/ops-config.js';
import { own } from '../config/own.js';
import { NotFoundError } from '../errors.js';
import type { Authorizer } from './authorizer.js';
import type { GrantStore } from './grants.js';
import { type ActorRoles, type Role, roleOn } from './roles.js';

/** An action someone may request in a channel. */
export interface PermittedAction {
  service: string;
  action: string;
  config: ActionConfig;
}

export interface AccessDeps {
  config: OpsConfig;
  authorizer: Pick<Authorizer, 'decide' | 'require'>;
  grants: GrantStore;
  rolesOf(userId: string): Promise<ActorRoles>;
  /** Whether a user is in a Slack user group now (the cached membership roles are read from); none when absent. */
  inGroup?(groupId: string, userId: string): Promise<boolean>;
  /** The newest `count` audit entries, rendered for Slack. */
  auditTail(count: number): Promise<string>;
  /** Counts a read command against the user's per-minute read budget; throws one over it. */
  requireRead(userId: string): Promise<void>;
}

/** Who holds what, what they may run here, and role changes made from Slack (admins only). */
export class AccessService {
  constructor(private readonly deps: AccessDeps) {}

  rolesOf(userId: string): Promise<ActorRoles> {
    return this.deps.rolesOf(userId);
  }

  /** Whether a user is in a Slack user group now: access approvers named by group. */
  async inGroup(groupId: string, userId: string): Promise<boolean> {
    return (await this.deps.inGroup?.(groupId, userId)) ?? false;
  }

  /** Counts a read command (status, show, pods, logs, history, oncall, digest now); refuses one over the read budget. */
  requireRead(actor: string): Promise<void> {
    return this.deps.requireRead(actor);
  }

  /** The configured actions the actor may request in this channel, in config order. */
  async permitted(actor: string, channel: string, resolved?: ActorRoles): Promise<PermittedAction[]> {
    const roles = resolved ?? (await this.deps.rolesOf(actor));
    const all = Object.entries(this.deps.config.services).flatMap(([service, serviceConfig]) =>
      Object.entries(serviceConfig.actions).map(([action, config]) => ({ service, action, config })),
    );
    const decisions = await Promise.all(
      all.map((entry) => this.deps.authorizer.decide({ actor, channel, ...entry }, roles)),
    );
    return all.filter((_, i) => decisions[i]?.allow);
  }

  /** The newest audit entries, for anyone who is at least responder somewhere. */
  async audit(actor: string, count: number): Promise<string> {
    const services = Object.keys(this.deps.config.services);
    await this.deps.authorizer.require({
      kind: 'audit',
      actor,
      action: 'audit',
      requiredRole: 'responder',
      services,
    });
    return this.deps.auditTail(count);
  }

  /** Sets a user's role everywhere or on one service; the actor must be admin for that scope. */
  async grant(actor: string, user: string, role: Role, service: string | undefined): Promise<string> {
    await this.requireAdmin(actor, service, 'role.grant');
    await this.deps.grants.grant(actor, user, role, service);
    return `<@${user}> is now ${role} ${scope(service)}.`;
  }

  /** Removes a role granted in Slack; roles written in ops.yml can only change there. */
  async revoke(actor: string, user: string, service: string | undefined): Promise<string> {
    await this.requireAdmin(actor, service, 'role.revoke');
    const removed = await this.deps.grants.revoke(actor, user, service);
    if (!removed) {
      throw new NotFoundError(
        `<@${user}> has no role granted in Slack ${scope(service)}; roles in ops.yml change only there.`,
      );
    }
    const roles = await this.deps.rolesOf(user);
    const left = service ? roleOn(roles, service) : roles.global;
    const now = left ? `they are now ${left.role} (${left.source})` : 'they now have no opsbot role there';
    return `Revoked ${removed} ${scope(service)} from <@${user}>; ${now}.`;
  }

  private async requireAdmin(actor: string, service: string | undefined, action: string): Promise<void> {
    if (service !== undefined && !own(this.deps.config.services, service)) {
      throw new NotFoundError(`There is no service called ${service}.`);
    }
    await this.deps.authorizer.require({ kind: 'roles', actor, action, requiredRole: 'admin', service });
  }
}

function scope(service: string | undefined): string {
  return service ? `on ${service}` : 'on every service';
}
