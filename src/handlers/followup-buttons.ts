import type { App, BlockAction, MessageShortcut } from '@slack/bolt';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { FollowupSubmission, followupModal } from '../slack/views/followup-modal.js';
import { FOLLOWUP_CLOSE, FOLLOWUP_SHORTCUT } from '../slack/views/ids.js';
import type { HandlerDeps } from './deps.js';
import { handle } from './handle.js';
import { clickReply, slackCalls } from './slack-calls.js';
import { onSubmission } from './view-submission.js';

const Click = z.object({
  user: z.object({ id: z.string().min(1) }),
  actions: z.tuple([z.object({ value: z.string().regex(/^\d{1,9}$/) })], z.unknown()),
});

const Shortcut = z.object({
  user: z.object({ id: z.string().min(1) }),
  channel: z.object({ id: z.string().min(1) }),
  trigger_id: z.string().min(1),
  message: z.object({ ts: z.string().min(1), text: z.string().max(40_000).optional() }),
});

const UNREADABLE = 'That form could not be read; use "Add as follow-up" on the message again.';

/**
 * Follow-ups from Slack: their Close button (on their post, in their owner's DMs and in `/ops followups`), and
 * the "Add as follow-up" message shortcut, which opens a form pre-filled with the message's text.
 */
export function registerFollowupButtons(app: App, deps: HandlerDeps): void {
  app.action<BlockAction>(FOLLOWUP_CLOSE, async ({ ack, body, respond }) => {
    await ack();
    const ephemeral = clickReply(respond);
    await handle(deps, FOLLOWUP_CLOSE, { user: body.user.id }, ephemeral, async () => {
      const click = Click.parse(body);
      const closed = await deps.followups.close(click.user.id, Number(click.actions[0].value));
      await ephemeral(`Closed follow-up #${closed.id}.`);
    });
  });

  app.shortcut<MessageShortcut>(
    { callback_id: FOLLOWUP_SHORTCUT, type: 'message_action' },
    async ({ ack, shortcut, respond, client }) => {
      await ack();
      const ephemeral = clickReply(respond);
      await handle(deps, FOLLOWUP_SHORTCUT, { user: shortcut.user.id }, ephemeral, async () => {
        const read = Shortcut.parse(shortcut);
        // One indexed PostgreSQL read, no authorization (the submission is authorized): then the form at once.
        await deps.incidents.incidentIn(read.channel.id);
        const view = followupModal(read.channel.id, read.message.ts, read.message.text ?? '');
        await slackCalls(client).openView(read.trigger_id, view);
      });
    },
  );

  onSubmission(app, deps, FOLLOWUP_SHORTCUT, {
    schema: FollowupSubmission,
    unreadable: UNREADABLE,
    channel: (submission) => submission.private_metadata.channel,
    async submit({ data, actor, answer, refuse, tell }) {
      const values = data.state.values;
      const text = values.text.value.value?.trim() ?? '';
      if (!text) {
        await refuse({ text: 'Say what is to be done.' });
        return;
      }
      await answer();
      const { channel, source } = data.private_metadata;
      if (!channel) throw new UserError(UNREADABLE);
      const added = await deps.followups.add(actor, channel, {
        text,
        owner: values.owner?.value.selected_user ?? undefined,
        due: values.due?.value.selected_date ?? undefined,
        source,
      });
      await tell(`Follow-up #${added.id} added${added.owner ? `, owned by <@${added.owner}>` : ''}.`);
    },
  });
}
