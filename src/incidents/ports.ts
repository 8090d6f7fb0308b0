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
  /** Queues a post; posts to one channel land in the order they were queued. */
  post(channel: string, message: SlackMessage): Promise<void>;
  /** Posts a message that is edited later (a card), waits until Slack has it, and returns its ts. */
  postCard(channel: string, key: string, message: SlackMessage): Promise<string>;
  /** Queues an edit of a posted message. */
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
  /** A message as it is now (top level or in a thread) with its permalink; undefined when it is gone. */
  message(channel: string, ts: string): Promise<ChannelMessage | undefined>;
}

/**
 * A message read back from a channel, for the timeline. `user` is absent for legacy bot messages, `permalink`
 * when Slack would not give one (the message is still worth recording).
 */
export interface ChannelMessage {
  ts: string;
  text: string;
  user: string | undefined;
  permalink: string | undefined;
}
