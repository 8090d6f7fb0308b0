import type { PermittedAction } from '../../auth/access.js';
import type { ActorRoles } from '../../auth/roles.js';
import type { OpsConfig } from '../../config/ops-config.js';
import { own } from '../../config/own.js';
import { actionLines } from './help-text.js';

/**
 * The user's roles in words: everywhere first, then each service, each with where it comes from; a role held
 * for a time says for how long (`You are *operator* on *bentham* while on call (PagerDuty, level 1, until
 * 09:00).`), and one a higher role outranks is listed too.
 */
export function roleLines(roles: ActorRoles): { everywhere: string; scoped: string[] } {
  const { global } = roles;
  const everywhere = !global
    ? 'You have no opsbot role on every service.'
    : global.temporary
      ? `You are *${global.role}* on every service ${global.temporary}.`
      : `You are *${global.role}* on every service (${global.source}).`;
  const scoped = Object.entries(roles.services).map(([service, held]) =>
    held.temporary
      ? `You are *${held.role}* on *${service}* ${held.temporary}.`
      : `On *${service}* you are *${held.role}* (${held.source}).`,
  );
  const outranked = (roles.temporary ?? [])
    .filter(({ service, held }) => held !== (service === undefined ? global : own(roles.services, service)))
    .map(
      ({ service, held }) =>
        `You also hold *${held.role}* ${service === undefined ? 'on every service' : `on *${service}*`} ${held.temporary ?? `(${held.source})`}, which adds nothing to what you hold there.`,
    );
  return { everywhere, scoped: [...scoped, ...outranked] };
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
