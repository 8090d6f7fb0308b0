import type { PermittedAction } from '../../auth/access.js';
import type { ActorRoles } from '../../auth/roles.js';
import type { OpsConfig } from '../../config/ops-config.js';
import { actionLines } from './help-text.js';

/** The user's roles in words: everywhere first, then each service, each with where it comes from. */
export function roleLines(roles: ActorRoles): { everywhere: string; scoped: string[] } {
  const everywhere = roles.global
    ? `You are *${roles.global.role}* on every service (${roles.global.source}).`
    : 'You have no opsbot role on every service.';
  const scoped = Object.entries(roles.services).map(
    ([service, held]) => `On *${service}* you are *${held.role}* (${held.source}).`,
  );
  return { everywhere, scoped };
}

/** `/ops whoami`: the caller's roles, where each comes from, and what they may run in this channel. */
export function whoamiText(
  actor: string,
  roles: ActorRoles,
  actions: PermittedAction[],
  services: Pick<OpsConfig, 'services'>,
): string {
  const { everywhere, scoped } = roleLines(roles);
  const lines = actionLines(actions, services);
  return [
    `<@${actor}> — ${everywhere}`,
    ...scoped,
    lines.length > 0 ? 'In this channel you may run:' : 'There are no actions you may run in this channel.',
    ...lines,
  ].join('\n');
}
