import type { AlertCard, AlertCards, CardRef } from '../../pagerduty/ports.js';
import type { MessageRef } from '../transport/outbox/message.js';
import type { SlackOutbox } from '../transport/outbox/outbox.js';
import type { OutboxStore } from '../transport/outbox/store.js';
import { alertCard, stormCard } from '../views/alert-card.js';

/** A card drawn as a Slack message. */
const draw = (card: AlertCard) =>
  card.kind === 'alert' ? alertCard(card.alert, card.suggested) : stormCard(card.view, card.rule);

/** The card by its ts once known, else by the key it was posted with (which works before Slack has answered). */
const target = (ref: CardRef): MessageRef => (ref.ts ? { ts: ref.ts } : { key: ref.key });

/**
 * Alert cards through the Slack outbox: queued, not awaited (a storm must not wait a second per post), paced
 * per channel and retried by the dispatcher. Edits and thread replies target the ts once known, else the key
 * the card was posted with, so they work before Slack has answered and after the outbox has forgotten old keys.
 */
export function slackAlertCards(
  outbox: Pick<SlackOutbox, 'enqueue'>,
  store: Pick<OutboxStore, 'postedTs'>,
): AlertCards {
  return {
    async post(channel, key, card) {
      await outbox.enqueue({ kind: 'post', channel, key, content: draw(card) });
    },
    async update(channel, ref, card) {
      await outbox.enqueue({ kind: 'update', channel, target: target(ref), content: draw(card) });
    },
    async say(channel, ref, text) {
      await outbox.enqueue({ kind: 'post', channel, thread: target(ref), content: { text } });
    },
    postedTs: (channel, key) => store.postedTs(channel, key),
  };
}
