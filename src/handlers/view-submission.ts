import type { App } from '@slack/bolt';
import type { View } from '@slack/types';
import type { z } from 'zod';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { ackOnce } from './ack-once.js';
import { type HandleDeps, handle } from './handle.js';
import { slackCalls } from './slack-calls.js';

/** One modal submission, read and checked, as its `submit` gets it. */
export interface Submitted<T> {
  /** The view as the modal's schema read it (private metadata included). */
  data: T;
  /** Who submitted it. */
  actor: string;
  /** Answers Slack once (the modal closes); later calls do nothing. Answer before slow work. */
  answer(): Promise<void>;
  /** Keeps the modal open with a message under each named field (block id → message). */
  refuse(errors: Record<string, string>): Promise<void>;
  /** Replaces the modal with `view` (the next step of a form). */
  next(view: View): Promise<void>;
  /** An ephemeral to the submitter in the channel the modal was opened from. */
  tell(text: string): Promise<void>;
  log: Logger;
}

/** A modal's submission: how to read it, where it came from, and what it does. */
export interface SubmissionHandler<T> {
  /** Reads the submitted view; a view it cannot read is refused with `unreadable`. */
  schema: z.ZodType<T>;
  /** The sentence for a view that cannot be read: how to open the form again. */
  unreadable: string;
  /** The channel the modal was opened from (in its private metadata), where replies and errors go. */
  channel(data: T): string | undefined;
  submit(submission: Submitted<T>): Promise<void>;
}

/**
 * Listens for one modal's submissions: acks once on every path (field errors, the next view, or closing it),
 * reads the view with its schema, and sends a failure (with its error id, by `handle`) to the submitter as an
 * ephemeral in the channel the modal came from.
 */
export function onSubmission<T>(
  app: App,
  deps: HandleDeps,
  callbackId: string,
  handler: SubmissionHandler<T>,
): void {
  app.view(callbackId, async ({ ack, body, view, client }) => {
    const answer = ackOnce(ack);
    const read = handler.schema.safeParse(view);
    const actor = body.user.id;
    const channel = read.success ? handler.channel(read.data) : undefined;
    const calls = slackCalls(client);
    const tell = async (text: string) => {
      if (channel) await calls.ephemeral(channel, actor, text);
    };
    await handle(deps, callbackId, { user: actor }, tell, async (log) => {
      if (!read.success) {
        log.warn({ issues: read.error.issues }, 'malformed view submission');
        throw new UserError(handler.unreadable);
      }
      await handler.submit({
        data: read.data,
        actor,
        answer: () => answer(),
        refuse: (errors) => answer({ response_action: 'errors', errors }),
        next: (next) => answer({ response_action: 'update', view: next }),
        tell,
        log,
      });
    });
    await answer();
  });
}
