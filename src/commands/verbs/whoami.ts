import { whoamiText } from '../../slack/views/whoami.js';
import { type NoArgs, text, type Verb } from './verb.js';

/** `/ops whoami`: the caller's roles, where each comes from, and what they may run in this channel. */
export const whoamiVerb: Verb<NoArgs, 'whoami'> = {
  name: 'whoami',
  usage: 'whoami',
  help: 'your roles, where each comes from, and what you may run here',
  args: () => ({}),
  async run({ actor, channel, access, config }) {
    const roles = await access.rolesOf(actor);
    return text(whoamiText(actor, roles, await access.permitted(actor, channel, roles), config));
  },
};
