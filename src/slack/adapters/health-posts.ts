import type { HealthChange } from '../../health/health-store.js';
import type { SlackOutbox } from '../transport/outbox/outbox.js';
import { healthChangeMessage } from '../views/health-change.js';

/**
 * Health changes as messages in the ops channel, queued in the outbox (which retries Slack); keyed by the
 * change, so queuing one again after a crash does not post it twice. Throws when it could not be queued.
 */
export function slackHealthPosts(
  outbox: SlackOutbox,
  channel: string,
): (change: HealthChange) => Promise<void> {
  return async (change) => {
    await outbox.enqueue({
      kind: 'post',
      channel,
      key: `health-change:${change.id}`,
      content: healthChangeMessage(change),
    });
  };
}
