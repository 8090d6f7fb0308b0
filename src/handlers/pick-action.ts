import type { App } from '@slack/bolt';
import { requireAction } from '../actions/catalog.js';
import { UserError } from '../errors.js';
import { PICK_MODAL } from '../slack/views/ids.js';
import { paramsModal } from '../slack/views/params-modal.js';
import { PickSubmission } from '../slack/views/pick-action-modal.js';
import { ackOnce } from './ack-once.js';
import type { HandlerDeps } from './deps.js';
import { handle } from './handle.js';

/** `/ops run`'s pick: on to the action's params modal, or straight to the request when it has none. */
export function registerPickAction(app: App, deps: HandlerDeps): void {
  app.view(PICK_MODAL, async ({ ack, body, view, client }) => {
    const answer = ackOnce(ack);
    const pick = PickSubmission.safeParse(view);
    const actor = body.user.id;
    const ephemeral = async (text: string) => {
      if (pick.success) await client.chat.postEphemeral({ channel: pick.data.channel, user: actor, text });
    };
    await handle(deps, PICK_MODAL, { user: actor }, ephemeral, async () => {
      if (!pick.success) throw new UserError('That form could not be read; run `/ops run` again.');
      const { channel, service, action } = pick.data;
      // Only a config lookup before the ack: the pick offered permitted actions, and the request is
      // authorized again in full when it is made.
      const config = requireAction(deps.config, service, action);
      if (Object.keys(config.params).length > 0) {
        await answer({
          response_action: 'update',
          view: paramsModal({ service, action, channel }, config, {}, {}),
        });
        return;
      }
      await answer();
      await deps.runs.request({ actor, channel, service, action, params: {} });
    });
    await answer();
  });
}
