import type { ParamValues } from '../../actions/params.js';
import { UserError } from '../../errors.js';
import type { RequestedRun } from '../../runs/run.js';
import { PICK_MODAL_TITLE, pickActionModal } from '../../slack/views/pick-action-modal.js';
import type { NoArgs, Verb } from './verb.js';

/** A configured action with all of its params, as `/ops retry bentham study_abc` asks for it. */
export interface ActionRequest {
  service: string;
  action: string;
  values: ParamValues;
}

/**
 * `/ops run`: a form to pick any action the user may run here. `/ops <action> <service> …` with valid args
 * is this verb with the request filled in (interpret's action path reads it; args typed after `run` are ignored).
 */
export const runVerb: Verb<NoArgs | ActionRequest, 'run'> = {
  name: 'run',
  usage: 'run',
  help: 'pick an action you may run here from a form, then fill it in',
  args: () => ({}),
  async run({ actor, channel, access, runs }, args) {
    if ('action' in args) {
      const { service, action, values: params } = args;
      const run = await runs.request({ actor, channel, service, action, params });
      return run.message_ts ? { kind: 'none' } : { kind: 'text', text: cardLate(run) };
    }
    // Roles may need Slack's user groups (cold cache): open the modal first, the trigger_id lasts 3 s.
    return {
      kind: 'checked-modal',
      title: PICK_MODAL_TITLE,
      build: async () => {
        const actions = await access.permitted(actor, channel);
        if (actions.length === 0) throw new UserError('There are no actions you may run in this channel.');
        return pickActionModal(channel, actions);
      },
    };
  },
};

/** What the requester is told when the card is not in Slack yet: it comes late, and nothing is lost. */
function cardLate(run: RequestedRun): string {
  const meanwhile =
    run.state === 'queued'
      ? 'the run is queued meanwhile'
      : run.state === 'awaiting_confirmation'
        ? 'confirm it there once it appears'
        : `the run is ${run.state.replace('_', ' ')}`;
  return run.cardLateBecause === 'database'
    ? `opsbot lost its database (PostgreSQL) while posting the card of ${run.id}, so the card will appear here ` +
        `late, once the database is back; ${meanwhile}.`
    : `Slack has not taken opsbot's messages yet, so the card of ${run.id} will appear here late; ${meanwhile}.`;
}
