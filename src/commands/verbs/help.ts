import { actionHelpText, helpText } from '../../slack/views/help-text.js';
import { text, type Verb } from './verb.js';

/** `/ops help [action]`: every verb and the actions this user may run here; with an action, that one in full. */
export const helpVerb: Verb<{ action?: string }, 'help'> = {
  name: 'help',
  usage: 'help [action]',
  help: 'this list; with an action, what it does and its arguments',
  args({ args: [word] }, config) {
    const action = word?.toLowerCase();
    // Any other word after help (`help me`) shows the whole list.
    const offered =
      action !== undefined &&
      Object.values(config.services).some(({ actions }) => Object.hasOwn(actions, action));
    return offered ? { action } : {};
  },
  async run({ actor, channel, access, verbs, config }, { action }) {
    const permitted = await access.permitted(actor, channel);
    if (action === undefined) return text(helpText(verbs, permitted, config));
    return text(
      actionHelpText(
        action,
        permitted.filter((entry) => entry.action === action),
        config,
      ),
    );
  },
};
