import type { App, BlockAction } from '@slack/bolt';
import { z } from 'zod';
import { INCIDENT_ACTIONS, SNOOZE_CHOICES } from '../slack/views/incident.js';
import { updateModal } from '../slack/views/incident-modals.js';
import type { HandlerDeps } from './deps.js';
import { handle } from './handle.js';
import { clickReply, slackCalls } from './slack-calls.js';

const Click = z.object({
  user: z.object({ id: z.string().min(1) }),
  channel: z.object({ id: z.string().min(1) }),
  trigger_id: z.string().min(1),
  actions: z.tuple([z.object({ value: z.string().max(100) })], z.unknown()),
});

/** The nudge's buttons: Post an update (opens the update modal) and Snooze 30m / 1h / 2h. */
export function registerIncidentButtons(app: App, deps: HandlerDeps): void {
  app.action<BlockAction>(INCIDENT_ACTIONS.postUpdate, async ({ ack, body, respond, client }) => {
    await ack();
    const ephemeral = clickReply(respond);
    await handle(deps, INCIDENT_ACTIONS.postUpdate, { user: body.user.id }, ephemeral, async () => {
      const click = Click.parse(body);
      // One indexed PostgreSQL read, no authorization (the submission is authorized): open it directly.
      const incident = await deps.incidents.incidentIn(click.channel.id);
      await slackCalls(client).openView(click.trigger_id, updateModal(click.channel.id, incident));
    });
  });
  for (const choice of SNOOZE_CHOICES) {
    const actionId = `${INCIDENT_ACTIONS.snooze}_${choice.minutes}`;
    app.action<BlockAction>(actionId, async ({ ack, body, respond }) => {
      await ack();
      const ephemeral = clickReply(respond);
      await handle(deps, actionId, { user: body.user.id }, ephemeral, async () => {
        const click = Click.parse(body);
        const [incidentId = ''] = click.actions[0].value.split(':');
        const until = await deps.incidents.snooze(click.user.id, incidentId, choice.minutes);
        await ephemeral(
          `No nudges until ${until.toISOString().slice(11, 16)} UTC; status updates still post.`,
        );
      });
    });
  }
}
