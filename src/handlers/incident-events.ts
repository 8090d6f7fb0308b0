import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { HandlerDeps } from './deps.js';
import { handle } from './handle.js';

/** The reaction that puts a message on the incident timeline: 📌. */
export const PIN_REACTION = 'pushpin';

const PinnedMessage = z.object({
  channel_id: z.string().min(1),
  item: z.object({ type: z.literal('message'), message: z.object({ ts: z.string().min(1) }) }),
});

const PinReaction = z.object({
  reaction: z.literal(PIN_REACTION),
  item: z.object({ type: z.literal('message'), channel: z.string().min(1), ts: z.string().min(1) }),
});

const MessageEdited = z.object({
  subtype: z.literal('message_changed'),
  channel: z.string().min(1),
  message: z.object({ ts: z.string().min(1), text: z.string().default('') }),
  previous_message: z.object({ text: z.string().optional() }).optional(),
});

/** Events have nobody to answer: failures are logged (with an error id) by `handle`. */
const nobody = async () => undefined;

/**
 * Pins, 📌 reactions and edits in incident channels, for the timeline. Bolt has already acked each event
 * (HTTP 200 or the socket ack) before a listener runs; anything that is not about a message is dropped by
 * its schema before a query is made. A retried event records nothing twice: entries are keyed by message.
 */
export function registerIncidentEvents(app: App, deps: HandlerDeps): void {
  const capture = (verb: string, channel: string, ts: string) =>
    handle(deps, verb, { channel, ts }, nobody, async () => {
      await deps.capture.pinned(channel, ts);
    });

  app.event('pin_added', async ({ event }) => {
    const pin = PinnedMessage.safeParse(event);
    if (pin.success) await capture('pin_added', pin.data.channel_id, pin.data.item.message.ts);
  });

  app.event('reaction_added', async ({ event }) => {
    const reaction = PinReaction.safeParse(event);
    if (reaction.success) await capture('reaction_added', reaction.data.item.channel, reaction.data.item.ts);
  });

  app.event('message', async ({ event }) => {
    const edit = MessageEdited.safeParse(event);
    // Unfurls and new thread replies also change a message; only a new text matters here.
    if (!edit.success || edit.data.message.text === edit.data.previous_message?.text) return;
    const { channel, message } = edit.data;
    await handle(deps, 'message_changed', { channel, ts: message.ts }, nobody, async () => {
      await deps.capture.edited(channel, message.ts, message.text);
    });
  });
}
