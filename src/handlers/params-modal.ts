import type { App } from '@slack/bolt';
import { requireAction } from '../actions/catalog.js';
import { checkParams } from '../actions/params.js';
import { UserError } from '../errors.js';
import { PARAMS_MODAL } from '../slack/views/ids.js';
import { ParamsSubmission, submittedValues } from '../slack/views/params-modal.js';
import { ackOnce } from './ack-once.js';
import type { HandlerDeps } from './deps.js';
import { handle } from './handle.js';

/** The params modal's submit: field errors in place, or the same run request as a typed command. */
export function registerParamsModal(app: App, deps: HandlerDeps): void {
  app.view(PARAMS_MODAL, async ({ ack, body, view, client }) => {
    const answer = ackOnce(ack);
    const submission = ParamsSubmission.safeParse(view);
    const actor = body.user.id;
    const ephemeral = async (text: string) => {
      if (submission.success) {
        await client.chat.postEphemeral({
          channel: submission.data.private_metadata.channel,
          user: actor,
          text,
        });
      }
    };
    await handle(deps, PARAMS_MODAL, { user: actor }, ephemeral, async (log) => {
      if (!submission.success) {
        log.warn({ issues: submission.error.issues }, 'malformed params modal submission');
        throw new UserError('That form could not be read; run the command again.');
      }
      const { service, action, channel } = submission.data.private_metadata;
      const config = requireAction(deps.config, service, action);
      const checked = checkParams(config.params, submittedValues(submission.data));
      if (!checked.ok) {
        await answer({ response_action: 'errors', errors: checked.errors });
        return;
      }
      await answer();
      await deps.runs.request({ actor, channel, service, action, params: checked.values });
    });
    await answer();
  });
}
