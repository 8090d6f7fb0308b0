import type { App, ViewUpdateResponseAction } from '@slack/bolt';
import { UserError } from '../errors.js';
import { PICK_MODAL } from '../slack/ids.js';
import { paramsModal } from '../slack/params-modal.js';
import { PickSubmission } from '../slack/pick-action-modal.js';
import type { HandlerDeps } from './deps.js';
import { handle } from './handle.js';

/** `/ops run`'s pick: on to the action's params modal, or straight to the request when it has none. */
export function registerPickAction(app: App, deps: HandlerDeps): void {
  app.view(PICK_MODAL, async ({ ack, body, view, client }) => {
    let acked = false;
    const ackOnce = async (response?: ViewUpdateResponseAction) => {
      if (acked) return;
      acked = true;
      await ack(response);
    };
    const pick = PickSubmission.safeParse(view);
    const actor = body.user.id;
    const ephemeral = async (text: string) => {
      if (pick.success) await client.chat.postEphemeral({ channel: pick.data.channel, user: actor, text });
    };
    await handle(deps, PICK_MODAL, { user: actor }, ephemeral, async () => {
      if (!pick.success) throw new UserError('That form could not be read; run `/ops run` again.');
      const { channel, service, action } = pick.data;
      const config = await deps.runs.admit({ actor, channel, service, action });
      if (Object.keys(config.params).length > 0) {
        await ackOnce({
          response_action: 'update',
          view: paramsModal({ service, action, channel }, config, {}, {}),
        });
        return;
      }
      await ackOnce();
      await deps.runs.request({ actor, channel, service, action, params: {} });
    });
    await ackOnce();
  });
}
