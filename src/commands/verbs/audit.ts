import { z } from 'zod';
import { positional, text, type Verb } from './verb.js';

const Count = z.string().regex(/^\d+$/).transform(Number).pipe(z.number().min(1).max(50));

/** `/ops audit [n]`: the newest audit entries, for responders and above. */
export const auditVerb: Verb<{ count: number }, 'audit'> = {
  name: 'audit',
  usage: 'audit [n]',
  help: 'the last n audit entries (responder and up; n ≤ 50)',
  // Words after n are ignored, as they always were.
  args: positional(
    z
      .array(z.string())
      .transform(([count = '10']) => count)
      .pipe(Count)
      .transform((count) => ({ count })),
    'Usage: `/ops audit [n]`, with n from 1 to 50.',
  ),
  async run({ actor, access }, { count }) {
    return text(await access.audit(actor, count));
  },
};
