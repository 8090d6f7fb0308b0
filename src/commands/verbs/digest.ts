import { z } from 'zod';
import { type NoArgs, positional, text, type Verb } from './verb.js';

/** `/ops digest now`: the digest of the last 24 hours, posted in this channel. */
export const digestVerb: Verb<NoArgs, 'digest'> = {
  name: 'digest',
  usage: 'digest now',
  help: 'post the digest of the last 24 hours here (responder and up)',
  args: positional(
    z.tuple([z.literal('now')]).transform(() => ({})),
    'Usage: `/ops digest now`.',
  ),
  async run({ actor, channel, access, digest }) {
    await access.requireRead(actor);
    await digest.postNow(actor, channel);
    return text('The digest is posted here; its chart is in its thread.');
  },
};
