import { UnavailableError } from '../../errors.js';
import type { NewPost } from '../transport/outbox/message.js';
import { MessageNotSent, type SlackOutbox } from '../transport/outbox/outbox.js';

/** Slack's answers that mean opsbot cannot post in the channel at all. */
const NOT_IN_CHANNEL = new Set(['not_in_channel', 'channel_not_found']);

/**
 * Posts through the outbox and waits for the message's ts. A channel opsbot is not in becomes a sentence the
 * person can act on, instead of Slack's error code.
 */
export function deliverInChannel(outbox: Pick<SlackOutbox, 'deliver'>, post: NewPost): Promise<string> {
  return inChannel(() => outbox.deliver(post));
}

/** Runs a post's wait, turning Slack's "not in this channel" refusal into a sentence the person can act on. */
export async function inChannel<T>(wait: () => Promise<T>): Promise<T> {
  try {
    return await wait();
  } catch (error) {
    if (error instanceof MessageNotSent && NOT_IN_CHANNEL.has(error.reason)) {
      throw new UnavailableError(
        'opsbot is not in this channel; invite it with `/invite @opsbot` and try again.',
      );
    }
    throw error;
  }
}
