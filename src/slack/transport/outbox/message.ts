import type { KnownBlock } from '@slack/types';
import { z } from 'zod';

/** What a message shows: fallback text and Block Kit blocks. */
export interface MessageContent {
  text: string;
  blocks?: KnownBlock[];
  /** What to show instead where Slack refuses `blocks` (invalid_blocks): a table block's monospaced text, say. */
  fallbackBlocks?: KnownBlock[];
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

/**
 * The outbox channel of an incident's canvas refreshes (kind `canvas`, queued by the triggers of migration
 * 0020 whenever the incident's timeline changes): apart from its channel's posts, paced on their own. A
 * refresh writes opsbot's sections from the incident as it is when sent, so refreshes waiting together are one.
 */
export const canvasLane = (incident: string): string => `canvas:${incident}`;

/** Content as stored: blocks are checked for shape, not against Block Kit again (opsbot built them). */
const StoredContent = z.object({
  text: z.string(),
  blocks: z.array(z.looseObject({ type: z.string(), block_id: z.string().optional() })).optional(),
  fallbackBlocks: z.array(z.looseObject({ type: z.string(), block_id: z.string().optional() })).optional(),
});

/** A canvas refresh as stored: which incident's canvas. */
const StoredCanvasRefresh = z.strictObject({ incident: z.string().min(1) });

const ClaimedColumns = {
  id: z.string(),
  channel: z.string(),
  key: z.string().nullable(),
  parent_key: z.string().nullable(),
  parent_ts: z.string().nullable(),
  attempts: z.number().int(),
  lease_token: z.string(),
  /** When it was queued, in seconds since the epoch (a Slack ts's scale). */
  queued_at: z.number(),
  /** An earlier attempt may have posted it: look for it in the channel before posting again. */
  unsure: z.boolean(),
};

/** A claimed row of slack_outbox: a message to post or edit, or a canvas to refresh. */
export const OutboxRow = z.discriminatedUnion('kind', [
  z.object({ ...ClaimedColumns, kind: z.enum(['post', 'update']), message: StoredContent }),
  z.object({ ...ClaimedColumns, kind: z.literal('canvas'), message: StoredCanvasRefresh }),
]);
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
