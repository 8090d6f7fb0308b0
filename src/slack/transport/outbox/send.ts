import { WebClient } from '@slack/web-api';
import type { Env } from '../../../config/env.js';
import type { Logger } from '../../../log.js';
import { slackLogger } from '../bolt-logger.js';
import { withBlockFallback } from './block-fallback.js';
import { outboxMetadata } from './find-post.js';
import type { OutboxRow } from './message.js';
import { CanvasesNotKept, ParentNotPosted } from './retry-policy.js';

/** Sends one claimed message: the post's ts, or the edited message's. `parentTs` is its thread or target. */
export type SendMessage = (row: OutboxRow, parentTs: string | undefined) => Promise<string>;

/**
 * A Web API client that tries each call once and rejects a 429 with its Retry-After: the dispatcher owns
 * waiting and retrying, per channel and across processes, instead of the client pausing this process.
 */
export function createOutboxClient(
  env: Pick<Env, 'SLACK_BOT_TOKEN' | 'SLACK_API_URL'>,
  log: Logger,
): WebClient {
  return new WebClient(env.SLACK_BOT_TOKEN, {
    slackApiUrl: env.SLACK_API_URL,
    logger: slackLogger(log),
    timeout: 10_000,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  });
}

/** Brings an incident's canvas up to date; returns the canvas id (empty when the incident keeps none). */
export type RefreshCanvas = (incident: string) => Promise<string>;

/**
 * chat.postMessage (in a thread when `parentTs`) or chat.update of `parentTs`; a canvas refresh goes to
 * `refreshCanvas` (src/slack/adapters/incident-canvas.ts), whose Slack calls fail like a message's.
 */
export function slackSender(client: WebClient, refreshCanvas?: RefreshCanvas): SendMessage {
  return async (row, parentTs) => {
    if (row.kind === 'canvas') {
      if (!refreshCanvas) throw new CanvasesNotKept('this process keeps no canvases');
      return refreshCanvas(row.message.incident);
    }
    const content = { text: row.message.text, ...(row.message.blocks ? { blocks: row.message.blocks } : {}) };
    if (row.kind === 'update') {
      if (!parentTs) throw new ParentNotPosted('the message to edit was never posted');
      await withBlockFallback(row.message, content, (shown) =>
        client.chat.update({ channel: row.channel, ts: parentTs, ...shown }),
      );
      return parentTs;
    }
    const posted = await withBlockFallback(row.message, content, (shown) =>
      client.chat.postMessage({
        channel: row.channel,
        ...shown,
        ...(parentTs ? { thread_ts: parentTs } : {}),
        metadata: outboxMetadata(row),
      }),
    );
    if (!posted.ts) throw new Error('chat.postMessage returned no ts');
    return posted.ts;
  };
}
