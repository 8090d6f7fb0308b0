import { UserError } from '../../errors.js';
import { accessListText } from '../../slack/views/access-card.js';
import { text, type Verb } from './verb.js';

const USAGE =
  'Usage: `/ops access`, or `/ops access approve|deny|revoke <id>` (an id such as acc_1a2b3c4d5e6f).';

/** What `/ops access` does: list, or decide on or end one grant. */
type AccessArgs = { change: 'list' } | { change: 'approve' | 'deny' | 'revoke'; id: string };

/** `/ops access`: requests waiting and grants that count now; `approve`, `deny` and `revoke` act on one by id. */
export const accessVerb: Verb<AccessArgs, 'access'> = {
  name: 'access',
  usage: 'access · access approve|deny|revoke <id>',
  help: 'just-in-time grants that count now and requests waiting; approve, deny or revoke one',
  args({ args: [change, id, ...extra] }) {
    if (change === undefined) return { change: 'list' };
    if ((change === 'approve' || change === 'deny' || change === 'revoke') && id && extra.length === 0) {
      return { change, id };
    }
    throw new UserError(USAGE);
  },
  async run({ actor, accessRequests, config }, args) {
    switch (args.change) {
      case 'list': {
        const grants = await accessRequests.list(actor);
        return text(accessListText(grants, config.workspace.timezone, new Date()));
      }
      case 'approve':
        return text(await accessRequests.approve(actor, args.id));
      case 'deny':
        return text(await accessRequests.deny(actor, args.id));
      case 'revoke':
        return text(await accessRequests.revoke(actor, args.id));
    }
  },
};
