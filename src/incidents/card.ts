import type { Logger } from '../log.js';
import type { IncidentCard, IncidentSlack } from './ports.js';
import type { IncidentStore } from './store.js';
import { tolerate } from './tolerate.js';

/**
 * Edits an incident's card in the ops channel `channel`; a failure is logged, the incident goes on. A card
 * Slack took after the declaration stopped waiting for it (its answer came late, or was lost) is found by its
 * outbox key and recorded first; an incident without a card has nothing to edit.
 */
export async function redrawCard(
  deps: { slack: IncidentSlack; store: Pick<IncidentStore, 'update'>; log: Logger },
  channel: string,
  card: IncidentCard,
): Promise<void> {
  const { incident } = card;
  await tolerate(deps.log, 'update the incident card', async () => {
    const ts = incident.card_ts ?? (await deps.slack.lateCard(channel, incident.id));
    if (!ts) return;
    if (!incident.card_ts) await deps.store.update(incident.id, { cardTs: ts });
    await deps.slack.updateCard(channel, ts, card);
  });
}
