import type { App } from '@slack/bolt';
import { z } from 'zod';
import { answer } from '../commands/answer.js';
import { commandLabel, interpret } from '../commands/interpret.js';
import { checkedModal } from './checked-modal.js';
import type { HandlerDeps } from './deps.js';
import { handle } from './handle.js';
import { sendReply } from './send-reply.js';
import { commandReply, slackCalls } from './slack-calls.js';

const SlashCommand = z.object({
  text: z.string(),
  user_id: z.string().min(1),
  channel_id: z.string().min(1),
  trigger_id: z.string().min(1),
});

/** `/ops …`: ack at once, read the text as a verb (or an action), run it, and send what it answers. */
export function registerOpsCommand(app: App, deps: HandlerDeps): void {
  app.command('/ops', async ({ command, ack, respond, client }) => {
    await ack();
    const reply = commandReply(respond);
    // A refusal while a modal says "Checking…" is shown in the modal; any other in the ephemeral reply.
    const modal = checkedModal(client, reply);
    const body = SlashCommand.safeParse(command);
    const label = body.success ? commandLabel(body.data.text, deps.config) : 'invalid';
    const ids = { user: command.user_id, channel: command.channel_id };
    await handle(deps, label, ids, modal.reply, async (log) => {
      const {
        text,
        user_id: actor,
        channel_id: channel,
        trigger_id: triggerId,
      } = SlashCommand.parse(command);
      const answered = await answer(interpret(text, deps.config), { ...deps, actor, channel, triggerId });
      await sendReply(answered, { actor, channel, triggerId, reply, calls: slackCalls(client), modal, log });
    });
  });
}
