import type { AccessGrant } from './grant.js';

/**
 * What just-in-time access needs from Slack; the Slack adapter (src/slack/adapters/access-slack.ts) draws the
 * cards and queues everything in the Slack outbox.
 */
export interface AccessSlack {
  /** Posts the grant's card in its card channel, or edits the card to the grant's state. */
  card(grant: AccessGrant): Promise<void>;
  /** Tells one person by DM; a `key` already used posts nothing. */
  tell(user: string, key: string, text: string): Promise<void>;
}
