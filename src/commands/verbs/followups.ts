import { z } from 'zod';
import { FOLLOWUP_FILTERS, type FollowupFilter } from '../../followups/followup.js';
import { followupList } from '../../slack/views/followups.js';
import { positional, text, type Verb } from './verb.js';

/** `/ops followups [mine|open|incident]`: follow-ups, each with its Close button while open. */
export const followupsVerb: Verb<{ filter?: FollowupFilter }, 'followups'> = {
  name: 'followups',
  usage: 'followups [mine|open|incident]',
  help: "follow-ups: yours, every open one, or this incident's (the default in its channel)",
  args: positional(
    z
      .array(z.enum(FOLLOWUP_FILTERS))
      .max(1)
      .transform(([filter]) => (filter ? { filter } : {})),
    'Usage: `/ops followups [mine|open|incident]`.',
  ),
  async run({ actor, channel, followups }, { filter }) {
    const listing = await followups.list(actor, channel, filter);
    const shown = followupList(listing.filter, listing.followups, listing.total);
    return text(shown.text, shown.blocks);
  },
};
