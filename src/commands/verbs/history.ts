import { z } from 'zod';
import { historyText } from '../../slack/views/history.js';
import { positional, text, type Verb } from './verb.js';

/** `/ops history [service]`: the newest action runs on one service, or on every service the user may view. */
export const historyVerb: Verb<{ service?: string }, 'history'> = {
  name: 'history',
  usage: 'history [service]',
  help: 'recent action runs, with their state, who asked and when',
  args: positional(
    z
      .array(z.string())
      .max(1)
      .transform(([service]) => ({ service: service || undefined })),
    'Usage: `/ops history [service]`.',
  ),
  async run({ actor, access, history }, { service }) {
    await access.requireRead(actor);
    return text(historyText(await history.recent(actor, service), service));
  },
};
