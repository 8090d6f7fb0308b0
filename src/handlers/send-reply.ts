import type { VerbReply } from '../commands/verbs/verb.js';
import type { Logger } from '../log.js';
import { lookupReply } from '../slack/adapters/lookup-reply.js';
import type { CheckedModal } from './checked-modal.js';
import type { Reply, SlackCalls } from './slack-calls.js';

/** Where a command's answer goes: who asked and where, its response_url, its trigger_id and its Slack calls. */
export interface ReplyTo {
  actor: string;
  channel: string;
  triggerId: string;
  reply: Reply;
  calls: SlackCalls;
  modal: CheckedModal;
  log: Logger;
}

/**
 * Sends what a verb answered: ephemeral text, a table (a table block where it fits, with its monospaced text as
 * the fallback; every row in a CSV file when long), or a modal.
 */
export async function sendReply(answer: VerbReply, to: ReplyTo): Promise<void> {
  switch (answer.kind) {
    case 'text':
      await to.reply(answer.text, answer.blocks);
      return;
    case 'table': {
      const { kind: _kind, ...shown } = answer;
      const { actor, channel } = to;
      const { text, blocks } = await lookupReply({ actor, channel, ...shown }, to.calls.upload, to.log);
      if (!blocks) {
        await to.reply(text);
        return;
      }
      // A Slack that refuses the table block (invalid_blocks) gets the same rows as monospaced text.
      await to.reply(text, blocks).catch(async (error: unknown) => {
        to.log.info({ err: error }, 'the reply with a table block was refused; sending it as text');
        await to.reply(text);
      });
      return;
    }
    case 'file': {
      const { filename } = answer.file;
      const posted = await to.calls.upload({ channel: to.channel, ...answer.file }).then(
        () => `All of it is in the file ${filename}, posted in this channel.`,
        (error: unknown) => {
          to.log.warn({ err: error }, 'reply file upload failed');
          return `The file ${filename} with all of it could not be uploaded.`;
        },
      );
      await to.reply(`${answer.text}\n${posted}`);
      return;
    }
    case 'view':
      await to.calls.openView(to.triggerId, answer.view);
      return;
    case 'checked-modal':
      await to.modal.open(to.triggerId, answer.title, answer.build);
      return;
    case 'none':
      return;
  }
}
