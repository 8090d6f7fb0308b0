import { z } from 'zod';
import { positional, type Verb } from './verb.js';

/** `/ops pods <service>`: pod readiness of the service's deployments, as a table. */
export const podsVerb: Verb<{ service: string }, 'pods'> = {
  name: 'pods',
  usage: 'pods <service>',
  help: "pod readiness of the service's deployments",
  args: positional(
    z.tuple([z.string().min(1)]).transform(([service]) => ({ service })),
    'Usage: `/ops pods <service>`.',
  ),
  async run({ actor, access, pods }, { service }) {
    await access.requireRead(actor);
    const { header, table } = await pods.pods(actor, service);
    return { kind: 'table', command: `pods ${service}`, filename: `${service}-pods`, header, table };
  },
};
