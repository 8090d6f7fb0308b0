import { z } from 'zod';
import { ROLES } from '../auth/roles.js';

/** Where a just-in-time grant is: asked for, counted, or done with (and how). */
export const GRANT_STATES = ['pending', 'active', 'denied', 'revoked', 'expired', 'lapsed'] as const;
export type GrantState = (typeof GRANT_STATES)[number];

/** A row of access_grants, checked as it leaves the database. */
export const AccessGrantSchema = z.object({
  id: z.string(),
  user_id: z.string(),
  role: z.enum(ROLES),
  /** '' for every service. */
  service: z.string(),
  reason: z.string(),
  duration_ms: z.coerce.number().int().positive(),
  break_glass: z.boolean(),
  state: z.enum(GRANT_STATES),
  requested_in: z.string(),
  card_channel: z.string(),
  requested_at: z.date(),
  decided_by: z.string().nullable(),
  decided_at: z.date().nullable(),
  expires_at: z.date().nullable(),
  ended_by: z.string().nullable(),
  ended_at: z.date().nullable(),
  warned_at: z.date().nullable(),
});
export type AccessGrant = z.infer<typeof AccessGrantSchema>;

/** How a grant's scope reads: `on bentham`, `on every service`. */
export function scopeText(grant: Pick<AccessGrant, 'service'>): string {
  return grant.service === '' ? 'on every service' : `on ${grant.service}`;
}
