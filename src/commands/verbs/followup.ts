import { UserError } from '../../errors.js';
import type { NewFollowup } from '../../followups/followup.js';
import { userIdOf } from '../mention.js';
import { textAfter } from '../parse.js';
import { text, type Verb } from './verb.js';

const USAGE = 'Usage: `/ops followup <text> [@owner] [due=YYYY-MM-DD]` in an incident channel.';

/** `/ops followup <text> [@owner] [due=YYYY-MM-DD]`: a follow-up of the incident whose channel this is. */
export const followupVerb: Verb<NewFollowup, 'followup'> = {
  name: 'followup',
  usage: 'followup <text> [@owner] [due=YYYY-MM-DD]',
  help: 'add a follow-up to the incident (in its channel); its owner is told, and reminded when it is due',
  args: ({ raw }) => readFollowup(raw),
  async run({ actor, channel, followups }, wanted) {
    const added = await followups.add(actor, channel, wanted);
    const owner = added.owner ? `, owned by <@${added.owner}>` : ', with no owner yet';
    const due = added.due_on ? `, due ${added.due_on}` : '';
    return text(`Follow-up #${added.id} added${owner}${due}.`);
  },
};

/**
 * Reads the text after `followup`: a trailing owner mention and `due=` (in either order) come off its end, and
 * what is left, one pair of quotes removed, is the follow-up. Mentions inside the text stay in it.
 */
export function readFollowup(raw: string): NewFollowup {
  let rest = textAfter(raw, 1);
  let owner: string | undefined;
  let due: string | undefined;
  for (let i = 0; i < 2; i++) {
    const last = /(^|\s)(\S+)$/.exec(rest);
    const token = last?.[2] ?? '';
    const dueValue = /^due=(.*)$/i.exec(token)?.[1];
    if (dueValue !== undefined && due === undefined) due = dueValue;
    else if (owner === undefined && userIdOf(token) && token.startsWith('<@')) owner = userIdOf(token);
    else break;
    rest = rest.slice(0, rest.length - token.length).trimEnd();
  }
  const text = /^(["'])([\s\S]*)\1$/.exec(rest)?.[2] ?? rest;
  if (text.trim() === '') throw new UserError(USAGE);
  return { text: text.trim(), ...(owner ? { owner } : {}), ...(due !== undefined ? { due } : {}) };
}
