import type { App } from '@slack/bolt';
import type { KnownBlock, View } from '@slack/types';
import { z } from 'zod';
import { helpText } from '../commands/help.js';
import { type Intent, interpret } from '../commands/interpret.js';
import { parseCommand } from '../commands/parse.js';
import { BUILTIN_VERBS } from '../commands/verbs.js';
import { whoamiText } from '../commands/whoami.js';
import { UserError } from '../errors.js';
import { onCallText } from '../pagerduty/oncall.js';
import { lookupReply } from '../slack/adapters/lookup-reply.js';
import { slackFileUploader, type UploadFile } from '../slack/transport/upload-file.js';
import { declareModal, updateModal } from '../slack/views/incident-modals.js';
import { paramsModal, paramsModalTitle } from '../slack/views/params-modal.js';
import { PICK_MODAL_TITLE, pickActionModal } from '../slack/views/pick-action-modal.js';
import { statusText } from '../slack/views/status.js';
import { timelinePage } from '../slack/views/timeline.js';
import { type CheckedModal, checkedModal } from './checked-modal.js';
import type { HandlerDeps } from './deps.js';
import { handle } from './handle.js';

const SlashCommand = z.object({
  text: z.string(),
  user_id: z.string().min(1),
  channel_id: z.string().min(1),
  trigger_id: z.string().min(1),
});
type SlashCommand = z.infer<typeof SlashCommand>;

/** `/ops …`: ack at once, then answer the intent the text carries. */
export function registerOpsCommand(app: App, deps: HandlerDeps): void {
  app.command('/ops', async ({ command, ack, respond, client }) => {
    await ack();
    const ephemeral = (text: string, blocks?: KnownBlock[]) =>
      respond({ response_type: 'ephemeral', text, ...(blocks ? { blocks } : {}) });
    const openView = async (trigger_id: string, view: View) => {
      await client.views.open({ trigger_id, view });
    };
    // A refusal while a modal says "Checking…" is shown in the modal; any other in the ephemeral reply.
    const modal = checkedModal(client, ephemeral);
    const body = SlashCommand.safeParse(command);
    const verb = body.success ? verbLabel(body.data.text, deps) : 'invalid';
    const ids = { user: command.user_id, channel: command.channel_id };
    await handle(deps, verb, ids, modal.reply, async () => {
      const slash = SlashCommand.parse(command);
      const intent = interpret(slash.text, deps.config);
      await answer(intent, slash, deps, ephemeral, { openView, modal }, slackFileUploader(client));
    });
  });
}

async function answer(
  intent: Intent,
  { user_id: actor, channel_id: channel, trigger_id }: SlashCommand,
  { runs, access, lookups, status, pods, incidents, oncall, digest, config, log }: HandlerDeps,
  ephemeral: (text: string, blocks?: KnownBlock[]) => Promise<unknown>,
  { openView, modal }: { openView: (trigger: string, view: View) => Promise<void>; modal: CheckedModal },
  upload: UploadFile,
): Promise<void> {
  switch (intent.kind) {
    case 'help':
      await ephemeral(helpText(await access.permitted(actor, channel)));
      return;
    case 'whoami': {
      const roles = await access.rolesOf(actor);
      await ephemeral(whoamiText(actor, roles, await access.permitted(actor, channel, roles)));
      return;
    }
    case 'audit':
      await ephemeral(await access.audit(actor, intent.count));
      return;
    case 'role-grant':
      await ephemeral(await access.grant(actor, intent.user, intent.role, intent.service));
      return;
    case 'role-revoke':
      await ephemeral(await access.revoke(actor, intent.user, intent.service));
      return;
    case 'pick':
      // Roles may need Slack's user groups (cold cache): open the modal first, the trigger_id lasts 3 s.
      await modal.open(trigger_id, PICK_MODAL_TITLE, async () => {
        const actions = await access.permitted(actor, channel);
        if (actions.length === 0) throw new UserError('There are no actions you may run in this channel.');
        return pickActionModal(channel, actions);
      });
      return;
    case 'form': {
      // admit() reads roles (Slack user groups), grants (PostgreSQL) and the channel: open first, then fill.
      const meta = { service: intent.service, action: intent.action, channel };
      await modal.open(trigger_id, paramsModalTitle(meta), async () => {
        const config = await runs.admit({ actor, channel, service: intent.service, action: intent.action });
        return paramsModal(meta, config, intent.prefill, intent.errors);
      });
      return;
    }
    case 'status':
      await access.requireRead(actor);
      await ephemeral(statusText(await status.status(actor, intent.service)));
      return;
    case 'show': {
      await access.requireRead(actor);
      const { service, lookup, args, named } = intent;
      const { header, table } = await lookups.show({ actor, channel, service, lookup, args, named });
      const command = `show ${service} ${lookup}`;
      const filename = `${service}-${lookup}`;
      await ephemeral(await lookupReply({ actor, channel, command, filename, header, table }, upload, log));
      return;
    }
    case 'pods': {
      await access.requireRead(actor);
      const { header, table } = await pods.pods(actor, intent.service);
      const reply = {
        actor,
        channel,
        command: `pods ${intent.service}`,
        filename: `${intent.service}-pods`,
        header,
        table,
      };
      await ephemeral(await lookupReply(reply, upload, log));
      return;
    }
    case 'incident-declare': {
      const { severity, title, services } = intent;
      const incident = await incidents.declare({ actor, severity, title, services });
      await ephemeral(
        `Declared ${incident.id} (${incident.severity}): <#${incident.channel_id}>. You are its commander.`,
      );
      return;
    }
    case 'incident-declare-form':
      // Nothing is checked before this form (config only): it opens at once; the submission is authorized.
      await openView(trigger_id, declareModal(channel, config.incidents.severities));
      return;
    case 'incident-sev':
      await incidents.setSeverity(actor, channel, intent.severity);
      return;
    case 'incident-role':
      await incidents.assignRole(actor, channel, intent.role, intent.user);
      return;
    case 'incident-update-form':
      // One indexed PostgreSQL read, no authorization (the submission is authorized): open it directly.
      await openView(trigger_id, updateModal(channel, await incidents.incidentIn(channel)));
      return;
    case 'incident-resolve':
      await incidents.resolve(actor, channel, intent.summary);
      return;
    case 'note':
      await incidents.note(actor, channel, intent.text);
      await ephemeral('Added to the timeline.');
      return;
    case 'timeline': {
      const { incident, events } = await incidents.timeline(actor, channel);
      const page = timelinePage(incident, events, intent.page);
      await ephemeral(page.text, page.blocks);
      return;
    }
    case 'oncall':
      await access.requireRead(actor);
      await ephemeral(onCallText(await oncall.onCall(actor, intent.service)));
      return;
    case 'digest-now':
      await access.requireRead(actor);
      await digest.postNow(actor, channel);
      await ephemeral('The digest is posted here; its chart is in its thread.');
      return;
    case 'run':
      await runs.request({
        actor,
        channel,
        service: intent.service,
        action: intent.action,
        params: intent.values,
      });
      return;
  }
}

/** A bounded metrics label: a built-in verb, a configured action, or `unknown`. */
function verbLabel(text: string, deps: HandlerDeps): string {
  try {
    const { verb } = parseCommand(text);
    if (verb === '') return 'help';
    if ((BUILTIN_VERBS as readonly string[]).includes(verb)) return verb;
    return Object.values(deps.config.services).some((service) => Object.hasOwn(service.actions, verb))
      ? verb
      : 'unknown';
  } catch {
    return 'invalid';
  }
}
