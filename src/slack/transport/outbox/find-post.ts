import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import type { OutboxRow } from './message.js';

/** The event_type of opsbot's posts' message metadata. */
const OUTBOX_EVENT = 'opsbot_outbox';

/** Message metadata as Slack gives it back: opsbot's own, or anything else (which does not match). */
const OutboxMetadata = z.object({
  event_type: z.literal(OUTBOX_EVENT),
  event_payload: z.object({ outbox_id: z.string(), queued_at: z.string() }),
});

/** The metadata every post carries, so that a later attempt can tell whether an earlier one reached Slack. */
export function outboxMetadata(row: Pick<OutboxRow, 'id' | 'queued_at'>) {
  // Strings, as Slack keeps them: a number could come back written differently.
  return {
    event_type: OUTBOX_EVENT,
    event_payload: { outbox_id: row.id, queued_at: row.queued_at.toFixed(6) },
  };
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
        const metadata = OutboxMetadata.safeParse((message as { metadata?: unknown }).metadata);
        const payload = metadata.success ? metadata.data.event_payload : undefined;
        return payload?.outbox_id === wanted.outbox_id && payload.queued_at === wanted.queued_at;
      });
      if (found?.ts) return found.ts;
      cursor = answer.response_metadata?.next_cursor;
      if (!answer.has_more || !cursor) return undefined;
    }
    return undefined;
  };
}
