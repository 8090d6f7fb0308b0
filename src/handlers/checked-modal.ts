import type { App } from '@slack/bolt';
import type { View } from '@slack/types';
import { checkingModal, noticeModal } from '../slack/views/interim-modals.js';
import { type OpenView, slackCalls } from './slack-calls.js';

/** Slack's answers to views.update for a modal the person closed or that changed under it. */
const CLOSED = new Set(['not_found', 'hash_conflict']);

/** A modal opened at once and filled in once opsbot has checked what the person may see. */
export interface CheckedModal {
  /**
   * Opens a "Checking…" view on `trigger_id` now (it expires 3 s after the click, and authorization may take
   * longer: user groups from Slack, grants from PostgreSQL), then updates it to the view `build` makes.
   */
  open(trigger_id: string, title: string, build: () => Promise<View>): Promise<void>;
  /** handle()'s reply: into the modal while it says "Checking…" (the person is looking at it), else `otherwise`. */
  reply(text: string): Promise<unknown>;
}

/** One request's checked modal; `otherwise` answers when no modal is waiting (or it cannot be updated). */
export function checkedModal(
  client: App['client'],
  otherwise: (text: string) => Promise<unknown>,
): CheckedModal {
  const calls = slackCalls(client);
  let waiting: (OpenView & { title: string }) | undefined;
  return {
    async open(trigger_id, title, build) {
      const opened = await calls.openView(trigger_id, checkingModal(title));
      if (!opened) throw new Error('views.open answered without a view id');
      waiting = { ...opened, title };
      const view = await build();
      const target = waiting;
      waiting = undefined;
      await calls.updateView(target, view).catch((error: unknown) => {
        // Closed while it said "Checking…" (not_found), or changed meanwhile: nobody is waiting for it.
        if (!CLOSED.has((error as { data?: { error?: string } }).data?.error ?? '')) throw error;
      });
    },
    async reply(text) {
      const target = waiting;
      waiting = undefined;
      if (!target) return otherwise(text);
      // The refusal replaces "Checking…": the form and its params are never sent.
      return calls.updateView(target, noticeModal(target.title, text)).catch(() => otherwise(text));
    },
  };
}
