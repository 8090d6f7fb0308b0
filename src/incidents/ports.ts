import type { KnownBlock } from '@slack/types';

/** A Slack message opsbot composes: fallback text and Block Kit blocks. */
export interface SlackMessage {
  text: string;
  blocks?: KnownBlock[];
}

/** What incidents need from Slack; the Slack implementation is src/slack/incident-slack.ts. */
export interface IncidentSlack {
  /** Creates a public channel named `name`, or `name-2`, `name-3`… when taken; returns its id and name. */
  createChannel(name: string): Promise<{ id: string; name: string }>;
  invite(channel: string, users: string[]): Promise<void>;
  /** Posts and returns the message's ts. */
  post(channel: string, message: SlackMessage, threadTs?: string): Promise<string>;
  update(channel: string, ts: string, message: SlackMessage): Promise<void>;
  /** A direct message to a user. */
  dm(user: string, message: SlackMessage): Promise<void>;
  upload(file: {
    channel: string;
    filename: string;
    title: string;
    content: string;
    comment?: string;
  }): Promise<void>;
}
