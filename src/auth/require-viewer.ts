import type { AuditEntry } from '../audit/audit-log.js';
import { ForbiddenError } from '../errors.js';
import { type ActorRoles, type Role, roleOn, roleRank } from './roles.js';

/** What checking a read-only view of a service needs. */
export interface ViewerCheck {
  rolesOf(userId: string): Promise<ActorRoles>;
  auditDenial(entry: Omit<AuditEntry, 'event'>): Promise<void>;
}

/** Whether the roles allow seeing `service` at all (viewer or above there). */
export function canView(roles: ActorRoles, service: string): boolean {
  const held = roleOn(roles, service);
  return held !== undefined && roleRank(held.role) >= roleRank('viewer');
}

/** Refuses (and audits) a read-only `action` on `service` unless the actor holds viewer or above there. */
export function requireViewer(
  check: ViewerCheck,
  actor: string,
  service: string,
  action: string,
): Promise<void> {
  return requireRole(check, actor, service, 'viewer', action);
}

/** Refuses (and audits) `action` on `service` unless the actor holds `needed` or above there. */
export async function requireRole(
  check: ViewerCheck,
  actor: string,
  service: string,
  needed: Role,
  action: string,
): Promise<void> {
  const held = roleOn(await check.rolesOf(actor), service);
  if (held && roleRank(held.role) >= roleRank(needed)) return;
  const has = held ? `<@${actor}> is ${held.role} (${held.source})` : `<@${actor}> has no opsbot role there`;
  const reason = `\`${action}\` on ${service} needs ${needed}; ${has}.`;
  await check.auditDenial({ actor, service, action, detail: { reason } });
  throw new ForbiddenError(reason);
}
