import type { AlertCards } from '../../pagerduty/ports.js';
import type { SlackOutbox } from '../transport/outbox/outbox.js';
import type { OutboxStore } from '../transport/outbox/store.js';

/**
 * Alert cards through the Slack outbox: queued, not awaited (a storm must not wait a second per post), paced
 * per channel and retried by the dispatcher. Edits target the ts once known, else the key the card was posted
 * with, so they work before Slack has answered and after the outbox has forgotten old keys.
 */
export function slackAlertCards(outbox: SlackOutbox, store: Pick<OutboxStore, 'postedTs'>): AlertCards {
  return {
    async post(channel, key, content) {
      await outbox.enqueue({ kind: 'post', channel, key, content });
    },
    async update(channel, card, content) {
      const target = card.ts ? { ts: card.ts } : { key: card.key };
      await outbox.enqueue({ kind: 'update', channel, target, content });
    },
    postedTs: (channel, key) => store.postedTs(channel, key),
  };
}
