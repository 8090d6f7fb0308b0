import type { AuditEntry } from '../audit/audit-log.js';
import { ForbiddenError } from '../errors.js';
import { type ActorRoles, roleOn, roleRank } from './roles.js';

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
export async function requireViewer(
  check: ViewerCheck,
  actor: string,
  service: string,
  action: string,
): Promise<void> {
  if (canView(await check.rolesOf(actor), service)) return;
  const reason = `\`${action}\` on ${service} needs viewer; <@${actor}> has no opsbot role there.`;
  await check.auditDenial({ actor, service, action, detail: { reason } });
  throw new ForbiddenError(reason);
}
