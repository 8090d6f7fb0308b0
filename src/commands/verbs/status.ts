import { z } from 'zod';
import { statusText } from '../../slack/views/status.js';
import { positional, text, type Verb } from './verb.js';

/** `/ops status [service]`: the health checks of one service, or of every service the user may view, now. */
export const statusVerb: Verb<{ service?: string }, 'status'> = {
  name: 'status',
  usage: 'status [service]',
  help: 'health checks now, each with what was measured and its latency',
  args: positional(
    z
      .array(z.string())
      .max(1)
      .transform(([service]) => ({ service: service || undefined })),
    'Usage: `/ops status [service]`.',
  ),
  async run({ actor, access, status }, { service }) {
    await access.requireRead(actor);
    return text(statusText(await status.status(actor, service)));
  },
};
