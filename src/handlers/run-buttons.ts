import type { App, BlockAction } from '@slack/bolt';
import { z } from 'zod';
import type { RunService } from '../runs/service.js';
import { RUN_BUTTONS } from '../slack/ids.js';
import type { HandlerDeps } from './deps.js';
import { handle } from './handle.js';

const ButtonClick = z.object({
  user: z.object({ id: z.string().min(1) }),
  actions: z.tuple([z.object({ value: z.string().max(100) })], z.unknown()),
});

type Press = (runs: RunService, actor: string, runId: string) => Promise<unknown>;

const PRESSES: Record<keyof typeof RUN_BUTTONS, Press> = {
  confirm: (runs, actor, runId) => runs.confirm(actor, runId),
  approve: (runs, actor, runId) => runs.approve(actor, runId),
  cancel: (runs, actor, runId) => runs.stop(actor, runId, 'cancelled'),
  reject: (runs, actor, runId) => runs.stop(actor, runId, 'rejected'),
};

/** Confirm, Approve, Cancel and Reject on run cards; refusals go to the presser only. */
export function registerRunButtons(app: App, deps: HandlerDeps): void {
  for (const [name, actionId] of Object.entries(RUN_BUTTONS) as [keyof typeof RUN_BUTTONS, string][]) {
    app.action<BlockAction>(actionId, async ({ ack, body, respond }) => {
      await ack();
      const ephemeral = (text: string) =>
        respond({ response_type: 'ephemeral', replace_original: false, text });
      await handle(deps, actionId, { user: body.user.id }, ephemeral, async () => {
        const click = ButtonClick.parse(body);
        await PRESSES[name](deps.runs, click.user.id, click.actions[0].value);
      });
    });
  }
}
