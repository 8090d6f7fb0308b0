import type { App } from '@slack/bolt';
import { requireAction } from '../actions/catalog.js';
import { checkParams } from '../actions/params.js';
import { PARAMS_MODAL } from '../slack/views/ids.js';
import { ParamsSubmission, submittedValues } from '../slack/views/params-modal.js';
import type { HandlerDeps } from './deps.js';
import { onSubmission } from './view-submission.js';

/** The params modal's submit: field errors in place, or the same run request as a typed command. */
export function registerParamsModal(app: App, deps: HandlerDeps): void {
  onSubmission(app, deps, PARAMS_MODAL, {
    schema: ParamsSubmission,
    unreadable: 'That form could not be read; run the command again.',
    channel: (submission) => submission.private_metadata.channel,
    async submit({ data, actor, answer, refuse }) {
      const { service, action, channel } = data.private_metadata;
      const config = requireAction(deps.config, service, action);
      const checked = checkParams(config.params, submittedValues(data));
      if (!checked.ok) {
        await refuse(checked.errors);
        return;
      }
      await answer();
      await deps.runs.request({ actor, channel, service, action, params: checked.values });
    },
  });
}
