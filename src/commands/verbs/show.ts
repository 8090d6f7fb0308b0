import { UserError } from '../../errors.js';
import type { Verb } from './verb.js';

/** `/ops show <service> <lookup> [args…]`: a read-only lookup, as a table. */
export const showVerb: Verb<
  { service: string; lookup: string; args: string[]; named: Record<string, string> },
  'show'
> = {
  name: 'show',
  usage: 'show <service> <lookup> [args…]',
  help: 'a read-only lookup, as a table (a CSV file when it is long)',
  // The lookup's own params are checked against its config by the lookup service.
  args({ args: [service, lookup, ...args], named }) {
    if (!service || !lookup) throw new UserError('Usage: `/ops show <service> <lookup> [args…]`.');
    return { service, lookup, args, named };
  },
  async run({ actor, channel, access, lookups }, request) {
    await access.requireRead(actor);
    const { header, table } = await lookups.show({ actor, channel, ...request });
    const { service, lookup } = request;
    return {
      kind: 'table',
      command: `show ${service} ${lookup}`,
      filename: `${service}-${lookup}`,
      header,
      table,
    };
  },
};
