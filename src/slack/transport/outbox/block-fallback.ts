import { WebAPIPlatformError } from '@slack/web-api';

/** What a message shows, as sent: its text and the blocks Slack is asked to show. */
export interface ShownContent {
  text: string;
  blocks?: Record<string, unknown>[];
}

/**
 * Sends a message's content; where Slack refuses its blocks (invalid_blocks: a client or workspace without table
 * blocks, say) and the message has `fallbackBlocks`, sends those instead, at once, so that the message still
 * appears with what every client shows.
 */
export async function withBlockFallback<T>(
  message: { text: string; fallbackBlocks?: Record<string, unknown>[] | undefined },
  content: ShownContent,
  send: (content: ShownContent) => Promise<T>,
): Promise<T> {
  try {
    return await send(content);
  } catch (error) {
    const refused = error instanceof WebAPIPlatformError && error.data.error === 'invalid_blocks';
    if (!refused || !message.fallbackBlocks) throw error;
    return send({ text: message.text, blocks: message.fallbackBlocks });
  }
}
