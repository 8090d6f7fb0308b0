import type { App, BlockAction } from '@slack/bolt';
import { z } from 'zod';
import type { Run } from '../runs/run.js';
import type { RunService } from '../runs/service.js';
import { RUN_BUTTONS } from '../slack/views/ids.js';
import { publishHome } from './app-home.js';
import type { HandlerDeps } from './deps.js';
import { handle } from './handle.js';
import { clickReply, slackCalls } from './slack-calls.js';

const ButtonClick = z.object({
  user: z.object({ id: z.string().min(1) }),
  actions: z.tuple([z.object({ value: z.string().max(100) })], z.unknown()),
});

/** A click on the App Home: no channel, no response_url; the answer is the Home published again. */
const HomeClick = z.object({ view: z.object({ type: z.literal('home') }) });

type Press = (runs: RunService, actor: string, runId: string) => Promise<Run>;

const PRESSES: Record<keyof typeof RUN_BUTTONS, Press> = {
  confirm: (runs, actor, runId) => runs.confirm(actor, runId),
  approve: (runs, actor, runId) => runs.approve(actor, runId),
  cancel: (runs, actor, runId) => runs.stop(actor, runId, 'cancelled'),
  reject: (runs, actor, runId) => runs.stop(actor, runId, 'rejected'),
};

/**
 * Confirm, Approve, Cancel and Reject on run cards, and Approve on the App Home. On a card a refusal goes to
 * the presser only (ephemeral); on the Home the Home is published again with the outcome at its top.
 */
export function registerRunButtons(app: App, deps: HandlerDeps): void {
  for (const [name, actionId] of Object.entries(RUN_BUTTONS) as [keyof typeof RUN_BUTTONS, string][]) {
    app.action<BlockAction>(actionId, async ({ ack, body, respond, client }) => {
      await ack();
      const user = body.user.id;
      const calls = slackCalls(client);
      const fromHome = HomeClick.safeParse(body).success;
      const reply = fromHome
        ? (text: string) => publishHome(calls, deps, user, `:warning: ${text}`)
        : respond
          ? clickReply(respond)
          : // Neither a Home nor a message with a response_url: the presser still hears why, by DM.
            (text: string) => calls.dm(user, text);
      await handle(deps, actionId, { user }, reply, async (log) => {
        const click = ButtonClick.parse(body);
        const run = await PRESSES[name](deps.runs, click.user.id, click.actions[0].value);
        if (!fromHome) return;
        // The press worked; a Home that cannot be refreshed must not be reported as a failed press.
        const now = `*${run.action}* on *${run.service}* is ${run.state.replace('_', ' ')}`;
        await publishHome(calls, deps, user, `:white_check_mark: Done: ${now} (${run.id}).`).catch(
          (error: unknown) => log.warn({ err: error, runId: run.id }, 'could not refresh the App Home'),
        );
      });
    });
  }
}
