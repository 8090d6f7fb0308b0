import { paramsModal, paramsModalTitle } from '../slack/views/params-modal.js';
import type { Intent } from './interpret.js';
import { answerVerb } from './verbs/index.js';
import type { CommandContext, VerbReply } from './verbs/verb.js';

/** What an intent answers: its verb's reply, or the form of an action whose args are missing or invalid. */
export async function answer(intent: Intent, ctx: CommandContext): Promise<VerbReply> {
  if (intent.kind !== 'form') return answerVerb(intent, ctx);
  const { service, action, prefill, errors } = intent;
  const { actor, channel, runs } = ctx;
  const meta = { service, action, channel };
  // admit() reads roles (Slack user groups), grants (PostgreSQL) and the channel: open first, then fill.
  return {
    kind: 'checked-modal',
    title: paramsModalTitle(meta),
    build: async () =>
      paramsModal(meta, await runs.admit({ actor, channel, service, action }), prefill, errors),
  };
}
