import type { App } from '@slack/bolt';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { INCIDENT_STATUSES } from '../incidents/incident.js';
import {
  DECLARE_MODAL,
  DeclareSubmission,
  UPDATE_MODAL,
  UpdateSubmission,
} from '../slack/views/incident-modals.js';
import { ackOnce } from './ack-once.js';
import type { HandlerDeps } from './deps.js';
import { handle } from './handle.js';

const UpdateStatus = z.enum(INCIDENT_STATUSES);

/** The declare and status-update modals: required fields are checked in place, the rest by the service. */
export function registerIncidentModals(app: App, deps: HandlerDeps): void {
  app.view(DECLARE_MODAL, async ({ ack, body, view, client }) => {
    const answer = ackOnce(ack);
    const submission = DeclareSubmission.safeParse(view);
    const actor = body.user.id;
    const channel = submission.success ? submission.data.private_metadata.channel : undefined;
    const tell = async (text: string) => {
      if (channel) await client.chat.postEphemeral({ channel, user: actor, text });
    };
    await handle(deps, DECLARE_MODAL, { user: actor }, tell, async () => {
      if (!submission.success) throw new UserError('That form could not be read; run the command again.');
      const values = submission.data.state.values;
      const title = values.title.value.value?.trim() ?? '';
      const severity = values.severity.value.selected_option?.value ?? '';
      if (!title) {
        await answer({ response_action: 'errors', errors: { title: 'Give the incident a title.' } });
        return;
      }
      await answer();
      const { pagerduty } = submission.data.private_metadata;
      const incident = pagerduty
        ? await deps.alertActions.declare(actor, pagerduty, severity, title)
        : await deps.incidents.declare({ actor, severity, title });
      await tell(
        `Declared ${incident.id} (${incident.severity}): <#${incident.channel_id}>. You are its commander.`,
      );
    });
    await answer();
  });

  app.view(UPDATE_MODAL, async ({ ack, body, view, client }) => {
    const answer = ackOnce(ack);
    const submission = UpdateSubmission.safeParse(view);
    const actor = body.user.id;
    const channel = submission.success ? submission.data.private_metadata.channel : undefined;
    const tell = async (text: string) => {
      if (channel) await client.chat.postEphemeral({ channel, user: actor, text });
    };
    await handle(deps, UPDATE_MODAL, { user: actor }, tell, async () => {
      if (!submission.success || !submission.data.private_metadata.incident) {
        throw new UserError('That form could not be read; run the command again.');
      }
      const values = submission.data.state.values;
      const changed = values.changed.value.value?.trim() ?? '';
      const next = values.next.value.value?.trim() ?? '';
      const errors: Record<string, string> = {};
      if (!changed) errors.changed = 'Say what changed, even if it is "nothing yet".';
      if (!next) errors.next = 'Say what happens next.';
      if (Object.keys(errors).length > 0) {
        await answer({ response_action: 'errors', errors });
        return;
      }
      await answer();
      const status = values.status.value.selected_option?.value;
      const parsed = UpdateStatus.safeParse(status);
      if (!parsed.success) throw new UserError('Pick a status.');
      await deps.incidents.update(actor, submission.data.private_metadata.incident, {
        status: parsed.data,
        changed,
        next,
      });
    });
    await answer();
  });
}
