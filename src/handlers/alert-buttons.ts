import type { App, BlockAction } from '@slack/bolt';
import { z } from 'zod';
import { requireAction } from '../actions/catalog.js';
import { UserError } from '../errors.js';
import type { PagerDutyChange } from '../pagerduty/as-user.js';
import { ALERT_NOTE_MODAL, AlertNoteSubmission, alertNoteModal } from '../slack/views/alert-modals.js';
import { ALERT_BUTTONS, alertActionOf } from '../slack/views/ids.js';
import { declareModal } from '../slack/views/incident-modals.js';
import { paramsModal, paramsModalTitle } from '../slack/views/params-modal.js';
import { type CheckedModal, checkedModal } from './checked-modal.js';
import type { HandlerDeps } from './deps.js';
import { handle } from './handle.js';
import { clickReply, slackCalls } from './slack-calls.js';
import { onSubmission } from './view-submission.js';

const Click = z.object({
  user: z.object({ id: z.string().min(1) }),
  channel: z.object({ id: z.string().min(1) }),
  trigger_id: z.string().min(1),
  actions: z.tuple([z.object({ action_id: z.string().max(255), value: z.string().max(128) })], z.unknown()),
});
type Click = z.infer<typeof Click>;

const CHANGES: Partial<Record<string, PagerDutyChange>> = {
  [ALERT_BUTTONS.acknowledge]: { kind: 'acknowledge' },
  [ALERT_BUTTONS.resolve]: { kind: 'resolve' },
  [ALERT_BUTTONS.escalate]: { kind: 'escalate' },
};

/** Acknowledge, Resolve, Escalate, Add note, Declare incident and suggested actions on alert cards. */
export function registerAlertButtons(app: App, deps: HandlerDeps): void {
  const calls = slackCalls(app.client);
  const listen = (
    actionId: string | RegExp,
    work: (click: Click, say: (text: string) => Promise<unknown>, modal: CheckedModal) => Promise<void>,
  ) => {
    app.action<BlockAction>(actionId, async ({ ack, body, respond }) => {
      await ack();
      const say = clickReply(respond);
      const modal = checkedModal(app.client, say);
      const verb = typeof actionId === 'string' ? actionId : 'pd_action';
      await handle(deps, verb, { user: body.user.id }, modal.reply, async () =>
        work(Click.parse(body), say, modal),
      );
    });
  };
  for (const [actionId, change] of Object.entries(CHANGES)) {
    if (!change) continue;
    listen(actionId, async (click, say) => {
      await say(await deps.alertActions.change(click.user.id, click.actions[0].value, change));
    });
  }
  // Add note and Declare read one row from PostgreSQL and authorize nothing (their submissions are
  // authorized): their modals open directly.
  listen(ALERT_BUTTONS.note, async (click) => {
    const alert = await deps.alertActions.alert(click.actions[0].value);
    await calls.openView(click.trigger_id, alertNoteModal(click.channel.id, alert.id, `*${alert.title}*`));
  });
  listen(ALERT_BUTTONS.declare, async (click) => {
    const alert = await deps.alertActions.declarable(click.actions[0].value);
    const from = { pagerduty: alert.id, title: alert.title };
    await calls.openView(
      click.trigger_id,
      declareModal(click.channel.id, deps.config.incidents.severities, from),
    );
  });
  listen(/^pd_action:/, async (click, _say, modal) => {
    const named = alertActionOf(click.actions[0].action_id);
    if (!named) throw new UserError('That button names no action.');
    const actor = click.user.id;
    const channel = click.channel.id;
    const config = requireAction(deps.config, named.service, named.action);
    if (Object.keys(config.params).length === 0) {
      await deps.runs.request({ actor, channel, ...named, params: {} });
      return;
    }
    // admit() reads roles (Slack user groups), grants and the channel: open first, the trigger_id lasts 3 s.
    const meta = { ...named, channel };
    await modal.open(click.trigger_id, paramsModalTitle(meta), async () => {
      await deps.runs.admit({ actor, channel, ...named });
      return paramsModal(meta, config, {}, {});
    });
  });

  onSubmission(app, deps, ALERT_NOTE_MODAL, {
    schema: AlertNoteSubmission,
    unreadable: 'That form could not be read; press Add note again.',
    channel: (submission) => submission.private_metadata.channel,
    async submit({ data, actor, answer, refuse }) {
      const content = data.state.values.note.value.value?.trim() ?? '';
      if (!content) {
        await refuse({ note: 'Write the note.' });
        return;
      }
      await answer();
      await deps.alertActions.change(actor, data.private_metadata.alert, { kind: 'note', content });
    },
  });
}
