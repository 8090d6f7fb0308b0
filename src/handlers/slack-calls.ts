import type { App, RespondFn } from '@slack/bolt';
import type { HomeView, KnownBlock, View } from '@slack/types';
import { slackFileUploader, type UploadFile } from '../slack/transport/upload-file.js';

/** A modal Slack has open: its id, and its hash when Slack gave one (an update with it fails if it changed). */
export interface OpenView {
  view_id: string;
  hash?: string;
}

/** An answer to the person who asked, as text (and blocks where the reply carries a table or a page). */
export type Reply = (text: string, blocks?: KnownBlock[]) => Promise<void>;

/**
 * Every Slack Web API call a handler makes, in one place, so that handlers translate payloads and never
 * spell a Web API method themselves.
 */
export interface SlackCalls {
  /** views.open on a trigger_id (it expires 3 s after the click or command); answers the open view, if named. */
  openView(trigger_id: string, view: View): Promise<OpenView | undefined>;
  /** views.update of an open modal, guarded by its hash when known; rejects as Slack does (not_found, hash_conflict). */
  updateView(target: OpenView, view: View): Promise<void>;
  /** views.publish of `user`'s App Home. */
  publishHome(user: string, view: HomeView): Promise<void>;
  /** chat.postEphemeral: `text` in `channel`, seen by `user` only. */
  ephemeral(channel: string, user: string, text: string): Promise<void>;
  /** chat.postMessage to `user`'s direct messages with opsbot, for when there is no channel to answer in. */
  dm(user: string, text: string): Promise<void>;
  /** files.uploadV2 into a channel, for replies too long for a message. */
  upload: UploadFile;
}

/** The Web API calls of one request, over the client Bolt gave its listener. */
export function slackCalls(client: App['client']): SlackCalls {
  return {
    async openView(trigger_id, view) {
      const opened = await client.views.open({ trigger_id, view });
      const view_id = opened.view?.id;
      if (!view_id) return undefined;
      return { view_id, ...(opened.view?.hash ? { hash: opened.view.hash } : {}) };
    },
    async updateView({ view_id, hash }, view) {
      await client.views.update({ view_id, ...(hash ? { hash } : {}), view });
    },
    async publishHome(user, view) {
      await client.views.publish({ user_id: user, view });
    },
    async ephemeral(channel, user, text) {
      await client.chat.postEphemeral({ channel, user, text });
    },
    async dm(user, text) {
      await client.chat.postMessage({ channel: user, text });
    },
    upload: slackFileUploader(client),
  };
}

/** The ephemeral answer to a slash command, on its response_url. */
export function commandReply(respond: RespondFn): Reply {
  return async (text, blocks) => {
    await respond({ response_type: 'ephemeral', text, ...(blocks ? { blocks } : {}) });
  };
}

/** The ephemeral answer to a button press, on its response_url, below the message pressed (left as it is). */
export function clickReply(respond: RespondFn): Reply {
  return async (text, blocks) => {
    await respond({
      response_type: 'ephemeral',
      replace_original: false,
      text,
      ...(blocks ? { blocks } : {}),
    });
  };
}
