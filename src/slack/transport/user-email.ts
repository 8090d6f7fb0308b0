import type { WebClient } from '@slack/web-api';

/** How long a user's email is remembered. */
const EMAIL_CACHE_MS = 60 * 60_000;

/** A Slack user's profile email, or undefined when Slack has none (users.info; needs users:read.email). */
export type UserEmail = (userId: string) => Promise<string | undefined>;

export function slackUserEmail(client: WebClient): UserEmail {
  const cache = new Map<string, { email: string | undefined; at: number }>();
  return async (userId) => {
    const cached = cache.get(userId);
    if (cached && Date.now() - cached.at < EMAIL_CACHE_MS) return cached.email;
    const info = await client.users.info({ user: userId });
    const email = info.user?.profile?.email || undefined;
    cache.set(userId, { email, at: Date.now() });
    return email;
  };
}
