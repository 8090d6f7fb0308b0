import type { KnownBlock } from '@slack/types';
import { z } from 'zod';

/** What a message shows: fallback text and Block Kit blocks. */
export interface MessageContent {
  text: string;
  blocks?: KnownBlock[];
}

/** Another message: by the key it was posted with (in the same channel), or by its Slack ts. */
export type MessageRef = { key: string } | { ts: string };

/** A message to post in a channel; `thread` makes it a reply. */
export interface NewPost {
  kind: 'post';
  channel: string;
  content: MessageContent;
  /** Names the post (`run:<id>`): queuing the same key again is a no-op; later messages can refer to it. */
  key?: string;
  thread?: MessageRef;
}

/** An edit of a message opsbot posted; only its last content matters, so pending edits are merged. */
export interface NewUpdate {
  kind: 'update';
  channel: string;
  content: MessageContent;
  target: MessageRef;
}

/** Anything opsbot sends to a channel. */
export type OutboxMessage = NewPost | NewUpdate;

/** Content as stored: blocks are checked for shape, not against Block Kit again (opsbot built them). */
const StoredContent = z.object({
  text: z.string(),
  blocks: z.array(z.looseObject({ type: z.string(), block_id: z.string().optional() })).optional(),
});

/** A claimed row of slack_outbox. */
export const OutboxRow = z.object({
  id: z.string(),
  channel: z.string(),
  kind: z.enum(['post', 'update']),
  key: z.string().nullable(),
  parent_key: z.string().nullable(),
  parent_ts: z.string().nullable(),
  message: StoredContent,
  attempts: z.number().int(),
  lease_token: z.string(),
});
export type OutboxRow = z.infer<typeof OutboxRow>;

/** Where a message ended up. */
export const OutboxOutcome = z.object({
  state: z.enum(['pending', 'sent', 'failed', 'withdrawn']),
  ts: z.string().nullable(),
  error: z.string().nullable(),
});
export type OutboxOutcome = z.infer<typeof OutboxOutcome>;

/** The parent columns of a message reference. */
export function refColumns(ref: MessageRef | undefined): {
  parentKey: string | null;
  parentTs: string | null;
} {
  if (!ref) return { parentKey: null, parentTs: null };
  return 'key' in ref ? { parentKey: ref.key, parentTs: null } : { parentKey: null, parentTs: ref.ts };
}
