import type { Denial } from '../auth/authorizer.js';
import { type ActorRoles, type Role, roleOn, roleRank } from '../auth/roles.js';
import { untilText } from '../auth/until-text.js';
import { formatDuration } from '../config/duration.js';
import type { OpsConfig } from '../config/ops-config.js';
import { own } from '../config/own.js';
import { ConflictError, ForbiddenError, NotFoundError, UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { type AccessGrant, scopeText } from './grant.js';
import type { AccessSlack } from './ports.js';
import type { AccessGrantStore } from './store.js';

/** How long a request waits for a decision before it lapses. */
export const PENDING_TTL_MS = 60 * 60_000;

/** How many grants `/ops access` lists. */
const LISTED = 50;

/** What `/ops elevate` asks for. */
export interface Elevation {
  role: Role;
  /** Absent: every service. */
  service?: string | undefined;
  durationMs: number;
  reason: string;
  breakGlass: boolean;
}

export interface AccessRequestsDeps {
  config: Pick<OpsConfig, 'access' | 'services' | 'workspace'>;
  store: Pick<AccessGrantStore, 'request' | 'breakGlass' | 'get' | 'approve' | 'deny' | 'revoke' | 'open'>;
  slack: AccessSlack;
  rolesOf(userId: string): Promise<ActorRoles>;
  /** Whether the user is in a Slack user group now (approvers' groups). */
  inGroup(groupId: string, userId: string): Promise<boolean>;
  /** Audits a refusal, as every refusal is audited. */
  auditDenial(entry: Denial): Promise<void>;
  log: Logger;
  pendingTtlMs?: number;
  now?: () => Date;
}

/**
 * Just-in-time access (DESIGN §11): `/ops elevate` asks for a role for a while and a second person who may
 * grant it (an admin there, or an approver in `access.approvers`) approves or denies it; break-glass takes a
 * role at once and says so loudly. Grants end by themselves (see sweep.ts) or are revoked. Every step and
 * every refusal is audited; what the grant gives is counted by RoleResolver at each decision.
 */
export class AccessRequests {
  private readonly pendingTtlMs: number;
  private readonly now: () => Date;

  constructor(private readonly deps: AccessRequestsDeps) {
    this.pendingTtlMs = deps.pendingTtlMs ?? PENDING_TTL_MS;
    this.now = deps.now ?? (() => new Date());
  }

  /** Asks for a grant, or takes one by break-glass; returns what the asker is told. */
  async elevate(actor: string, channel: string, ask: Elevation): Promise<string> {
    const { services } = this.deps.config;
    if (ask.service !== undefined && !own(services, ask.service)) {
      throw new NotFoundError(`There is no service called ${ask.service}.`);
    }
    const roles = await this.deps.rolesOf(actor);
    const scope = scopeText({ service: ask.service ?? '' });
    const held = ask.service === undefined ? roles.global : roleOn(roles, ask.service);
    // A role held for a time may be asked for again, to go on holding it once it ends.
    if (held && !held.temporary && roleRank(held.role) >= roleRank(ask.role)) {
      throw new UserError(`You are already ${held.role} ${scope} (${held.source}).`);
    }
    if (!roles.global && Object.keys(roles.services).length === 0) {
      await this.refuse(actor, ask.service, ask.breakGlass ? 'break-glass' : 'elevate', 'request', channel);
      throw new ForbiddenError('You have no opsbot role, so you cannot ask for one; ask an admin.');
    }
    return ask.breakGlass ? this.breakGlass(actor, channel, ask) : this.request(actor, channel, ask);
  }

  /** Approves a waiting request: never by its requester, only by someone who may grant it. */
  async approve(actor: string, id: string): Promise<string> {
    const grant = await this.decidable(actor, id, 'approve');
    const approved = await this.deps.store.approve(id, actor, this.pendingTtlMs);
    if (!approved) throw new ConflictError(await this.stateSentence(grant.id));
    await this.deps.slack.card(approved);
    const what = `*${approved.role}* ${scopeText(approved)} until ${this.until(approved)}`;
    await this.tell(
      approved.user_id,
      `access:${id}:approved`,
      `<@${actor}> approved your request: you are ${what} (${id}).`,
    );
    return `Approved: <@${approved.user_id}> is ${what}.`;
  }

  /** Denies a waiting request, with the same rules as approving it. */
  async deny(actor: string, id: string): Promise<string> {
    const grant = await this.decidable(actor, id, 'deny');
    const denied = await this.deps.store.deny(id, actor);
    if (!denied) throw new ConflictError(await this.stateSentence(grant.id));
    await this.deps.slack.card(denied);
    await this.tell(
      denied.user_id,
      `access:${id}:denied`,
      `<@${actor}> denied your request for ${denied.role} ${scopeText(denied)} (${id}).`,
    );
    return `Denied: <@${denied.user_id}> does not get ${denied.role} ${scopeText(denied)}.`;
  }

  /** Ends a grant early (or withdraws a request): its holder, an admin there or an approver may. */
  async revoke(actor: string, id: string): Promise<string> {
    const grant = await this.find(id);
    if (actor !== grant.user_id && !(await this.mayDecide(actor, grant))) {
      const reason = `Only <@${grant.user_id}>, an admin ${scopeText(grant)} or an approver can revoke ${id}.`;
      await this.refuse(actor, grant.service || undefined, 'access.revoke', 'revoke', undefined, reason, id);
      throw new ForbiddenError(reason);
    }
    const revoked = await this.deps.store.revoke(id, actor);
    if (!revoked) throw new ConflictError(await this.stateSentence(id));
    await this.deps.slack.card(revoked);
    if (actor !== revoked.user_id) {
      await this.tell(
        revoked.user_id,
        `access:${id}:revoked`,
        `<@${actor}> revoked your ${revoked.role} ${scopeText(revoked)} (${id}).`,
      );
    }
    return `Revoked ${id}: <@${revoked.user_id}> no longer has ${revoked.role} ${scopeText(revoked)} from it.`;
  }

  /** `/ops access`: requests waiting and grants that count now, for anyone who holds an opsbot role. */
  async list(actor: string): Promise<AccessGrant[]> {
    const roles = await this.deps.rolesOf(actor);
    if (!roles.global && Object.keys(roles.services).length === 0) {
      await this.refuse(actor, undefined, 'access', 'request');
      throw new ForbiddenError('Listing access grants needs an opsbot role.');
    }
    return this.deps.store.open(LISTED);
  }

  private async request(actor: string, channel: string, ask: Elevation): Promise<string> {
    const access = this.deps.config.access;
    const allowed = Object.entries(access?.max ?? {});
    if (allowed.length === 0) {
      throw new UserError('Access requests are not set up here (access.max in ops.yml).');
    }
    const max = own(access?.max ?? {}, ask.role);
    if (max === undefined) {
      const roles = allowed.map(([role, ms]) => `${role} (up to ${formatDuration(ms)})`).join(', ');
      throw new UserError(`${ask.role} cannot be asked for here; access.max allows ${roles}.`);
    }
    if (ask.durationMs > max) {
      throw new UserError(`${ask.role} can be granted for at most ${formatDuration(max)}; ask for less.`);
    }
    const grant = await this.deps.store.request({
      user: actor,
      role: ask.role,
      service: ask.service,
      reason: ask.reason,
      durationMs: ask.durationMs,
      requestedIn: channel,
      cardChannel: this.deps.config.workspace.ops_channel,
    });
    await this.deps.slack.card(grant);
    return (
      `Asked for *${grant.role}* ${scopeText(grant)} for ${formatDuration(grant.duration_ms)} (${grant.id}): ` +
      `an admin or an approver other than you can approve it in <#${grant.card_channel}>. Its time starts when ` +
      `it is approved, and it lapses if nobody decides within ${formatDuration(this.pendingTtlMs)}.`
    );
  }

  private async breakGlass(actor: string, channel: string, ask: Elevation): Promise<string> {
    const glass = this.deps.config.access?.break_glass;
    if (!glass) throw new UserError('Break-glass is not set up here (access.break_glass in ops.yml).');
    if (roleRank(ask.role) > roleRank(glass.role)) {
      throw new UserError(
        `Break-glass gives at most ${glass.role}; ask for ${ask.role} without --break-glass.`,
      );
    }
    if (ask.durationMs > glass.max) {
      throw new UserError(`Break-glass lasts at most ${formatDuration(glass.max)}; ask for less.`);
    }
    const grant = await this.deps.store.breakGlass({
      user: actor,
      role: ask.role,
      service: ask.service,
      reason: ask.reason,
      durationMs: ask.durationMs,
      requestedIn: channel,
      cardChannel: glass.notify,
    });
    await this.deps.slack.card(grant);
    return (
      `:rotating_light: Break-glass: you are *${grant.role}* ${scopeText(grant)} until ${this.until(grant)} ` +
      `(${grant.id}). <#${glass.notify}> has been told, and the audit log marks it as break-glass.`
    );
  }

  /** The grant, if the actor may approve or deny it; refusals are audited. */
  private async decidable(actor: string, id: string, decision: 'approve' | 'deny'): Promise<AccessGrant> {
    const grant = await this.find(id);
    const service = grant.service || undefined;
    if (actor === grant.user_id) {
      const reason = `You cannot ${decision} your own request: someone else who may grant it must.`;
      await this.refuse(actor, service, `access.${decision}`, 'approve', undefined, reason, id);
      throw new ForbiddenError(reason);
    }
    if (!(await this.mayDecide(actor, grant))) {
      const reason = `Only an admin ${scopeText(grant)} or an approver (access.approvers) can ${decision} this request.`;
      await this.refuse(actor, service, `access.${decision}`, 'approve', undefined, reason, id);
      throw new ForbiddenError(reason);
    }
    return grant;
  }

  /** An approver named in access.approvers (as a user or through a group), or an admin on the grant's scope. */
  private async mayDecide(actor: string, grant: AccessGrant): Promise<boolean> {
    const approvers = this.deps.config.access?.approvers;
    if (approvers?.users.includes(actor)) return true;
    for (const group of approvers?.groups ?? []) {
      if (await this.deps.inGroup(group, actor)) return true;
    }
    const roles = await this.deps.rolesOf(actor);
    const held = grant.service === '' ? roles.global : roleOn(roles, grant.service);
    return held?.role === 'admin';
  }

  private async find(id: string): Promise<AccessGrant> {
    const grant = /^acc_[0-9a-f]{1,32}$/.test(id) ? await this.deps.store.get(id) : undefined;
    if (!grant) throw new NotFoundError(`There is no access grant or request ${id}; see \`/ops access\`.`);
    return grant;
  }

  /** Why a grant can no longer move: the sentence for a press that lost the race or came too late. */
  private async stateSentence(id: string): Promise<string> {
    const grant = await this.find(id);
    switch (grant.state) {
      case 'pending':
        return `${id} waited too long and has lapsed.`;
      case 'active':
        return `${id} was already approved by <@${grant.decided_by}>.`;
      case 'denied':
        return `${id} was already denied by <@${grant.decided_by}>.`;
      case 'revoked':
        return `${id} was already revoked by <@${grant.ended_by}>.`;
      case 'expired':
        return `${id} has already ended.`;
      case 'lapsed':
        return `${id} lapsed: nobody decided in time.`;
    }
  }

  /**
   * Tells the grant's holder by DM. What was decided stands whether or not Slack takes the message, so a
   * failure is logged, not answered to the person who pressed.
   */
  private async tell(user: string, key: string, text: string): Promise<void> {
    await this.deps.slack.tell(user, key, text).catch((error: unknown) => {
      this.deps.log.warn({ err: error, user, key }, 'could not tell the holder of an access grant');
    });
  }

  private until(grant: AccessGrant): string {
    return grant.expires_at
      ? untilText(grant.expires_at, this.now(), this.deps.config.workspace.timezone)
      : '?';
  }

  private refuse(
    actor: string,
    service: string | undefined,
    action: string,
    checkpoint: 'request' | 'approve' | 'revoke',
    channel?: string,
    reason = 'no opsbot role',
    grant?: string,
  ): Promise<void> {
    return this.deps.auditDenial({
      actor,
      ...(service !== undefined ? { service } : {}),
      action,
      detail: {
        checkpoint,
        reason,
        ...(channel !== undefined ? { channel } : {}),
        ...(grant !== undefined ? { grant } : {}),
      },
    });
  }
}
