import type { Alert, StormView } from './alert.js';
import type { StormRule } from './storm-config.js';

/**
 * A card opsbot keeps up to date: one PagerDuty incident's (with the actions it suggests), or a storm's roll-up
 * (with the rule that rolled it up, which it states).
 */
export type AlertCard =
  | { kind: 'alert'; alert: Alert; suggested: string[] }
  | { kind: 'storm'; view: StormView; rule: StormRule };

/** Where a card is: the key it was posted with, and its Slack ts once known. */
export interface CardRef {
  key: string;
  ts: string | null;
}

/**
 * What alert cards need from Slack; the Slack adapter (alert-cards.ts) draws them and
 * queues them in the Slack outbox, which sends them in order per channel at Slack's pace and retries.
 */
export interface AlertCards {
  /** Posts a card; posting a key again is a no-op. */
  post(channel: string, key: string, card: AlertCard): Promise<void>;
  /** Edits a card in place. */
  update(channel: string, ref: CardRef, card: AlertCard): Promise<void>;
  /** Says `text` in the card's thread. */
  say(channel: string, ref: CardRef, text: string): Promise<void>;
  /** The card's ts once Slack has taken it; undefined before. */
  postedTs(channel: string, key: string): Promise<string | undefined>;
}

/** A Slack user's profile email, or undefined when Slack has none: who they are in PagerDuty. */
export type UserEmail = (userId: string) => Promise<string | undefined>;
