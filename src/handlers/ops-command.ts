import type { App } from '@slack/bolt';
import { z } from 'zod';
import { helpText } from '../commands/help.js';
import { interpret } from '../commands/interpret.js';
import { parseCommand } from '../commands/parse.js';
import { BUILTIN_VERBS } from '../commands/verbs.js';
import { paramsModal } from '../slack/params-modal.js';
import type { HandlerDeps } from './deps.js';
import { handle } from './handle.js';

const SlashCommand = z.object({
  text: z.string(),
  user_id: z.string().min(1),
  channel_id: z.string().min(1),
  trigger_id: z.string().min(1),
});

/** `/ops …`: ack at once, then help, a params modal, or a run request. */
export function registerOpsCommand(app: App, deps: HandlerDeps): void {
  app.command('/ops', async ({ command, ack, respond, client }) => {
    await ack();
    const ephemeral = (text: string) => respond({ response_type: 'ephemeral', text });
    const body = SlashCommand.safeParse(command);
    const verb = body.success ? verbLabel(body.data.text, deps) : 'invalid';
    await handle(deps, verb, { user: command.user_id, channel: command.channel_id }, ephemeral, async () => {
      const { text, user_id: actor, channel_id: channel, trigger_id } = SlashCommand.parse(command);
      const intent = interpret(text, deps.config);
      if (intent.kind === 'help') {
        await ephemeral(helpText(deps.config, actor, channel));
      } else if (intent.kind === 'form') {
        const config = await deps.runs.admit({
          actor,
          channel,
          service: intent.service,
          action: intent.action,
        });
        const meta = { service: intent.service, action: intent.action, channel };
        await client.views.open({
          trigger_id,
          view: paramsModal(meta, config, intent.prefill, intent.errors),
        });
      } else {
        await deps.runs.request({
          actor,
          channel,
          service: intent.service,
          action: intent.action,
          params: intent.values,
        });
      }
    });
  });
}

/** A bounded metrics label: a built-in verb, a configured action, or `unknown`. */
function verbLabel(text: string, deps: HandlerDeps): string {
  try {
    const { verb } = parseCommand(text);
    if (verb === '') return 'help';
    if ((BUILTIN_VERBS as readonly string[]).includes(verb)) return verb;
    return Object.values(deps.config.services).some((service) => Object.hasOwn(service.actions, verb))
      ? verb
      : 'unknown';
  } catch {
    return 'invalid';
  }
}
