import type { App } from '@slack/bolt';
import { z } from 'zod';
import { PIN_HOLDER, reactionHolder } from '../incidents/capture.js';
import type { HandlerDeps } from './deps.js';
import { handle } from './handle.js';

/** The reaction that puts a message on the incident timeline: 📌. */
export const PIN_REACTION = 'pushpin';

/** A Slack ts (`<seconds>.<microseconds>`): when an event happened, to order a holder's add and removal. */
const SlackTs = z.string().regex(/^\d{1,12}(\.\d{1,6})?$/);

/** `pin_added` and `pin_removed` of a message. */
const PinEvent = z.object({
  channel_id: z.string().min(1),
  item: z.object({ type: z.literal('message'), message: z.object({ ts: z.string().min(1) }) }),
  event_ts: SlackTs.optional(),
});

/** `reaction_added` and `reaction_removed` of 📌 on a message. */
const PinReaction = z.object({
  user: z.string().min(1),
  reaction: z.literal(PIN_REACTION),
  item: z.object({ type: z.literal('message'), channel: z.string().min(1), ts: z.string().min(1) }),
  event_ts: SlackTs.optional(),
});

const MessageEdited = z.object({
  subtype: z.literal('message_changed'),
  channel: z.string().min(1),
  message: z.object({ ts: z.string().min(1), text: z.string().default(''), subtype: z.string().optional() }),
  previous_message: z.object({ text: z.string().optional() }).optional(),
});

const MessageDeleted = z.object({
  subtype: z.literal('message_deleted'),
  channel: z.string().min(1),
  deleted_ts: z.string().min(1),
});

/** Events have nobody to answer: failures are logged (with an error id) by `handle`. */
const nobody = async () => undefined;

/** Slack sends event_ts with these events; one delivered without (opsbot's console) counts as happening now. */
const eventTime = (eventTs: string | undefined) => eventTs ?? (Date.now() / 1000).toFixed(6);

/**
 * Pins, 📌 reactions, edits and deletions in incident channels, for the timeline. Bolt has already acked each
 * event (HTTP 200 or the socket ack) before a listener runs; anything that is not about a message is dropped by
 * its schema before a query is made. A retried event records nothing twice: entries are keyed by message,
 * and each holder (the pin, a person's 📌) by the event_ts that last changed it.
 */
export function registerIncidentEvents(app: App, deps: HandlerDeps): void {
  const hold = (verb: string, channel: string, ts: string, holder: string, eventTs: string | undefined) =>
    handle(deps, verb, { channel, ts }, nobody, async () => {
      await deps.capture.hold(channel, ts, holder, eventTime(eventTs));
    });
  const release = (verb: string, channel: string, ts: string, holder: string, eventTs: string | undefined) =>
    handle(deps, verb, { channel, ts }, nobody, async () => {
      await deps.capture.release(channel, ts, holder, eventTime(eventTs));
    });
  const deleted = (channel: string, ts: string) =>
    handle(deps, 'message_deleted', { channel, ts }, nobody, async () => {
      await deps.capture.deleted(channel, ts);
    });

  app.event('pin_added', async ({ event }) => {
    const pin = PinEvent.safeParse(event);
    if (!pin.success) return;
    const { channel_id, item, event_ts } = pin.data;
    await hold('pin_added', channel_id, item.message.ts, PIN_HOLDER, event_ts);
  });

  app.event('pin_removed', async ({ event }) => {
    const pin = PinEvent.safeParse(event);
    if (!pin.success) return;
    const { channel_id, item, event_ts } = pin.data;
    await release('pin_removed', channel_id, item.message.ts, PIN_HOLDER, event_ts);
  });

  app.event('reaction_added', async ({ event }) => {
    const reaction = PinReaction.safeParse(event);
    if (!reaction.success) return;
    const { user, item, event_ts } = reaction.data;
    await hold('reaction_added', item.channel, item.ts, reactionHolder(user), event_ts);
  });

  app.event('reaction_removed', async ({ event }) => {
    const reaction = PinReaction.safeParse(event);
    if (!reaction.success) return;
    const { user, item, event_ts } = reaction.data;
    await release('reaction_removed', item.channel, item.ts, reactionHolder(user), event_ts);
  });

  app.event('message', async ({ event }) => {
    const removed = MessageDeleted.safeParse(event);
    if (removed.success) return deleted(removed.data.channel, removed.data.deleted_ts);
    const edit = MessageEdited.safeParse(event);
    if (!edit.success) return;
    const { channel, message } = edit.data;
    // A thread's parent deleted while it has replies stays as a tombstone, which Slack reports as a change.
    if (message.subtype === 'tombstone') return deleted(channel, message.ts);
    // Unfurls and new thread replies also change a message; only a new text matters here.
    if (message.text === edit.data.previous_message?.text) return;
    await handle(deps, 'message_changed', { channel, ts: message.ts }, nobody, async () => {
      await deps.capture.edited(channel, message.ts, message.text);
    });
  });
}
