import type { App } from '@slack/bolt';
import { requireAction } from '../actions/catalog.js';
import { PICK_MODAL } from '../slack/views/ids.js';
import { paramsModal } from '../slack/views/params-modal.js';
import { PickSubmission } from '../slack/views/pick-action-modal.js';
import type { HandlerDeps } from './deps.js';
import { onSubmission } from './view-submission.js';

/** `/ops run`'s pick: on to the action's params modal, or straight to the request when it has none. */
export function registerPickAction(app: App, deps: HandlerDeps): void {
  onSubmission(app, deps, PICK_MODAL, {
    schema: PickSubmission,
    unreadable: 'That form could not be read; run `/ops run` again.',
    channel: (pick) => pick.channel,
    async submit({ data: { channel, service, action }, actor, answer, next }) {
      // Only a config lookup before the ack: the pick offered permitted actions, and the request is
      // authorized again in full when it is made.
      const config = requireAction(deps.config, service, action);
      if (Object.keys(config.params).length > 0) {
        await next(paramsModal({ service, action, channel }, config, {}, {}));
        return;
      }
      await answer();
      await deps.runs.request({ actor, channel, service, action, params: {} });
    },
  });
}
