import type { KnownBlock } from '@slack/types';

/** A card's content: fallback text and Block Kit blocks. */
export interface CardContent {
  text: string;
  blocks: KnownBlock[];
}

/** Where a card is: the key it was posted with, and its Slack ts once known. */
export interface CardRef {
  key: string;
  ts: string | null;
}

/**
 * What alert cards need from Slack; the implementation (src/slack/alert-cards.ts) queues them in the Slack
 * outbox, which sends them in order per channel at Slack's pace and retries.
 */
export interface AlertCards {
  /** Posts a card; posting a key again is a no-op. */
  post(channel: string, key: string, content: CardContent): Promise<void>;
  /** Edits a card in place. */
  update(channel: string, card: CardRef, content: CardContent): Promise<void>;
  /** The card's ts once Slack has taken it; undefined before. */
  postedTs(channel: string, key: string): Promise<string | undefined>;
}
