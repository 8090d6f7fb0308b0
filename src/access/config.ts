import { z } from 'zod';
import { ROLES } from '../auth/roles.js';
import { Duration } from '../config/duration.js';
import { ChannelId, GroupId, UserId } from '../config/slack-ids.js';

/*
 * access in ops.yml (DESIGN §11): just-in-time grants.
 *
 *   access:
 *     max: { operator: 4h, admin: 1h }          # the roles `/ops elevate` may ask for, and for how long at most
 *     approvers: { groups: [S0LEADS] }         # who may approve besides admins (users and/or groups)
 *     break_glass: { role: operator, max: 30m, notify: C0SECURITY }
 */

/** The longest a grant may last: a day; longer is a role in ops.yml, not a just-in-time grant. */
const LongestGrant = Duration.refine(
  (ms) => ms >= 1_000 && ms <= 86_400_000,
  'must be between 1s and 24h (a longer grant belongs in ops.yml roles)',
);

/** Break-glass is for a short time. */
const LongestBreakGlass = Duration.refine(
  (ms) => ms >= 1_000 && ms <= 4 * 3_600_000,
  'must be between 1s and 4h',
);

export const AccessConfigSchema = z.strictObject({
  /** The roles that may be requested, each with the longest time it may be granted for. */
  max: z
    .record(
      z
        .string()
        .refine((key) => (ROLES as readonly string[]).includes(key), `must be a role: ${ROLES.join(', ')}`),
      LongestGrant,
    )
    .default({}),
  /** Who may approve a request besides admins (on its scope). */
  approvers: z
    .strictObject({ users: z.array(UserId).default([]), groups: z.array(GroupId).default([]) })
    .prefault({}),
  /** A role anyone with an opsbot role may take at once, for a short time, with a reason: loudly. */
  break_glass: z
    .strictObject({
      role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
      max: LongestBreakGlass,
      /** The channel told at once (a security channel). */
      notify: ChannelId,
    })
    .optional(),
});

export type AccessConfig = z.infer<typeof AccessConfigSchema>;
