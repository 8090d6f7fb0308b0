import type { App, BlockAction } from '@slack/bolt';
import { z } from 'zod';
import type { BulkKind } from '../pagerduty/alert.js';
import { STORM_BUTTONS } from '../slack/views/ids.js';
import type { HandlerDeps } from './deps.js';
import { handle } from './handle.js';
import { clickReply } from './slack-calls.js';

const Click = z.object({
  user: z.object({ id: z.string().min(1) }),
  actions: z.tuple([z.object({ value: z.string().regex(/^\d{1,18}$/) })], z.unknown()),
});

const KINDS: Record<string, BulkKind> = {
  [STORM_BUTTONS.acknowledgeAll]: 'acknowledge',
  [STORM_BUTTONS.resolveAll]: 'resolve',
};

/**
 * Acknowledge all and Resolve all on an alert storm's roll-up card: the presser is told at once what will be
 * sent (or why nothing will), then the requests go one by one and the card shows how they went.
 */
export function registerStormButtons(app: App, deps: HandlerDeps): void {
  for (const [actionId, kind] of Object.entries(KINDS)) {
    app.action<BlockAction>(actionId, async ({ ack, body, respond }) => {
      await ack();
      const say = clickReply(respond);
      await handle(deps, actionId, { user: body.user.id }, say, async () => {
        const click = Click.parse(body);
        const started = await deps.stormActions.start(click.user.id, click.actions[0].value, kind);
        await say(started.line);
        await deps.stormActions.run(started);
      });
    });
  }
}
