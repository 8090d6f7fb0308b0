import { UserError } from '../../errors.js';
import { textAfter } from '../parse.js';
import { text, type Verb } from './verb.js';

/** `/ops note <text>`: adds to the timeline of the incident whose channel this is. */
export const noteVerb: Verb<{ text: string }, 'note'> = {
  name: 'note',
  usage: 'note <text>',
  help: "add to the incident's timeline (in its channel)",
  args({ raw }) {
    const note = textAfter(raw, 1);
    if (!note) throw new UserError('Usage: `/ops note <text>` in an incident channel.');
    return { text: note };
  },
  async run({ actor, channel, incidents }, { text: note }) {
    await incidents.note(actor, channel, note);
    return text('Added to the timeline.');
  },
};
