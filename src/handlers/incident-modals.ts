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
import type { HandlerDeps } from './deps.js';
import { onSubmission } from './view-submission.js';

const UpdateStatus = z.enum(INCIDENT_STATUSES);

const UNREADABLE = 'That form could not be read; run the command again.';

/** The declare and status-update modals: required fields are checked in place, the rest by the service. */
export function registerIncidentModals(app: App, deps: HandlerDeps): void {
  onSubmission(app, deps, DECLARE_MODAL, {
    schema: DeclareSubmission,
    unreadable: UNREADABLE,
    channel: (submission) => submission.private_metadata.channel,
    async submit({ data, actor, answer, refuse, tell }) {
      const values = data.state.values;
      const title = values.title.value.value?.trim() ?? '';
      const severity = values.severity.value.selected_option?.value ?? '';
      if (!title) {
        await refuse({ title: 'Give the incident a title.' });
        return;
      }
      await answer();
      const { pagerduty } = data.private_metadata;
      const incident = pagerduty
        ? await deps.alertActions.declare(actor, pagerduty, severity, title)
        : await deps.incidents.declare({ actor, severity, title });
      await tell(
        `Declared ${incident.id} (${incident.severity}): <#${incident.channel_id}>. You are its commander.`,
      );
    },
  });

  onSubmission(app, deps, UPDATE_MODAL, {
    schema: UpdateSubmission,
    unreadable: UNREADABLE,
    channel: (submission) => submission.private_metadata.channel,
    async submit({ data, actor, answer, refuse }) {
      const incidentId = data.private_metadata.incident;
      if (!incidentId) throw new UserError(UNREADABLE);
      const values = data.state.values;
      const changed = values.changed.value.value?.trim() ?? '';
      const next = values.next.value.value?.trim() ?? '';
      const errors: Record<string, string> = {};
      if (!changed) errors.changed = 'Say what changed, even if it is "nothing yet".';
      if (!next) errors.next = 'Say what happens next.';
      if (Object.keys(errors).length > 0) {
        await refuse(errors);
        return;
      }
      await answer();
      const status = values.status.value.selected_option?.value;
      const parsed = UpdateStatus.safeParse(status);
      if (!parsed.success) throw new UserError('Pick a status.');
      await deps.incidents.update(actor, incidentId, { status: parsed.data, changed, next });
    },
  });
}
