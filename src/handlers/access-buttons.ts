import type { App, BlockAction } from '@slack/bolt';
import { z } from 'zod';
import type { AccessRequests } from '../access/service.js';
import { ACCESS_BUTTONS } from '../slack/views/access-card.js';
import type { HandlerDeps } from './deps.js';
import { handle } from './handle.js';
import { clickReply, slackCalls } from './slack-calls.js';

const Click = z.object({
  user: z.object({ id: z.string().min(1) }),
  actions: z.tuple([z.object({ value: z.string().regex(/^acc_[0-9a-f]{1,32}$/) })], z.unknown()),
});

const PRESSES: Record<
  keyof typeof ACCESS_BUTTONS,
  (access: AccessRequests, actor: string, id: string) => Promise<string>
> = {
  approve: (access, actor, id) => access.approve(actor, id),
  deny: (access, actor, id) => access.deny(actor, id),
  revoke: (access, actor, id) => access.revoke(actor, id),
};

/**
 * Approve, Deny and Revoke on access cards: the presser hears the outcome (or why not) privately, and the card
 * is edited for everyone by the service.
 */
export function registerAccessButtons(app: App, deps: HandlerDeps): void {
  for (const [name, actionId] of Object.entries(ACCESS_BUTTONS) as [keyof typeof ACCESS_BUTTONS, string][]) {
    app.action<BlockAction>(actionId, async ({ ack, body, respond, client }) => {
      await ack();
      const user = body.user.id;
      const say = respond ? clickReply(respond) : (text: string) => slackCalls(client).dm(user, text);
      await handle(deps, actionId, { user }, say, async () => {
        const click = Click.parse(body);
        await say(await PRESSES[name](deps.accessRequests, click.user.id, click.actions[0].value));
      });
    });
  }
}
