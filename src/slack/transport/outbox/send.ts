import { WebClient } from '@slack/web-api';
import type { Env } from '../../../config/env.js';
import type { Logger } from '../../../log.js';
import { slackLogger } from '../bolt-logger.js';
import { withBlockFallback } from './block-fallback.js';
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

/** The metadata every post carries, so that a later attempt can tell whether an earlier one reached Slack. */
const OUTBOX_EVENT = 'opsbot_outbox';

function outboxMetadata(row: Pick<OutboxRow, 'id' | 'queued_at'>) {
  return { event_type: OUTBOX_EVENT, event_payload: { outbox_id: row.id, queued_at: row.queued_at } };
}

/** Looks in Slack for a post an earlier attempt may have made (its answer was lost): its ts when it is there. */
export type FindPost = (row: OutboxRow, parentTs: string | undefined) => Promise<string | undefined>;

/** How much of a channel (or thread) a lookup reads, at most, from a minute before the post was queued. */
const FIND_PAGES = 5;
const FIND_PAGE_SIZE = 200;

/**
 * Finds a post by the metadata it was sent with: conversations.history of its channel (.replies of its thread),
 * from a minute before it was queued (clocks differ), with all metadata.
 */
export function slackPostFinder(client: WebClient): FindPost {
  return async (row, parentTs) => {
    const wanted = outboxMetadata(row).event_payload;
    const oldest = (row.queued_at - 60).toFixed(6);
    let cursor: string | undefined;
    for (let page = 0; page < FIND_PAGES; page++) {
      const query = {
        channel: row.channel,
        oldest,
        limit: FIND_PAGE_SIZE,
        include_all_metadata: true,
        ...(cursor ? { cursor } : {}),
      };
      const answer = parentTs
        ? await client.conversations.replies({ ...query, ts: parentTs })
        : await client.conversations.history(query);
      const found = answer.messages?.find((message) => {
        const { metadata } = message as { metadata?: { event_type?: string; event_payload?: unknown } };
        if (metadata?.event_type !== OUTBOX_EVENT) return false;
        const payload = metadata.event_payload as Record<string, unknown> | undefined;
        return payload?.outbox_id === wanted.outbox_id && payload?.queued_at === wanted.queued_at;
      });
      if (found?.ts) return found.ts;
      cursor = answer.response_metadata?.next_cursor;
      if (!answer.has_more || !cursor) return undefined;
    }
    return undefined;
  };
}
