import type { WebClient } from '@slack/web-api';
import type { HealthChange } from '../health/health-store.js';
import { healthChangeMessage } from './blocks/health-change.js';

/** Health changes as messages in the ops channel; throws when Slack refuses one, so the probe can retry it. */
export function slackHealthPosts(
  client: WebClient,
  channel: string,
): (change: HealthChange) => Promise<void> {
  return async (change) => {
    await client.chat.postMessage({ channel, ...healthChangeMessage(change) });
  };
}
