import { z } from 'zod';
import type { Elevation } from '../../access/service.js';
import { ROLES } from '../../auth/roles.js';
import { Duration } from '../../config/duration.js';
import { UserError } from '../../errors.js';
import { text, type Verb } from './verb.js';

const USAGE =
  'Usage: `/ops elevate <role> [service] for <duration> because <reason>`, e.g. ' +
  '`/ops elevate operator bentham for 2h because restarting the executor`; add `--break-glass` to take it at once where ops.yml allows.';

const BREAK_GLASS = /(^|\s)--break-glass(?=\s|$)/gi;
const SHAPE = /^elevate\s+(\S+)(?:\s+(\S+))?\s+for\s+(\S+)\s+because\s+([\s\S]+)$/i;

/** The longest reason kept: it goes on the card, in DMs and in the audit log. */
export const MAX_REASON = 500;

const Reason = z
  .string()
  .transform((reason) =>
    reason
      .trim()
      .replace(/^(["'])([\s\S]*)\1$/, '$2')
      .trim(),
  )
  .pipe(
    z
      .string()
      .min(3, 'say why, in a few words')
      .max(MAX_REASON, `keep the reason under ${MAX_REASON} characters`),
  );

/** Reads `elevate <role> [service] for <duration> because <reason> [--break-glass]` from the text as typed. */
export function readElevation(raw: string): Elevation {
  const breakGlass = raw.match(BREAK_GLASS) !== null;
  const shaped = SHAPE.exec(raw.replace(BREAK_GLASS, ' ').trim());
  if (!shaped) throw new UserError(USAGE);
  const [, role = '', service, duration = '', reasonText = ''] = shaped;
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new UserError(`${role} is not a role; roles are ${ROLES.join(', ')}.`);
  }
  const durationMs = Duration.safeParse(duration);
  if (!durationMs.success) throw new UserError(`${duration} is not a duration; write it as 30m, 2h or 90s.`);
  const reason = Reason.safeParse(reasonText);
  if (!reason.success) throw new UserError(`The reason: ${reason.error.issues[0]?.message ?? 'say why'}.`);
  return {
    role: role as Elevation['role'],
    service,
    durationMs: durationMs.data,
    reason: reason.data,
    breakGlass,
  };
}

/** `/ops elevate …`: asks for a role for a while (a second person approves), or takes it by break-glass. */
export const elevateVerb: Verb<Elevation, 'elevate'> = {
  name: 'elevate',
  usage: 'elevate <role> [service] for <duration> because <reason> [--break-glass]',
  help: 'ask for a role for a while; an admin or approver approves it (--break-glass: take it now, loudly)',
  args: ({ raw }) => readElevation(raw),
  async run({ actor, channel, accessRequests }, elevation) {
    return text(await accessRequests.elevate(actor, channel, elevation));
  },
};
