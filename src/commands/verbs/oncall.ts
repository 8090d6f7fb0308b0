import { z } from 'zod';
import { onCallText } from '../../pagerduty/oncall.js';
import { positional, text, type Verb } from './verb.js';

/** `/ops oncall [service]`: who is on call now in PagerDuty, by escalation level. */
export const oncallVerb: Verb<{ service?: string }, 'oncall'> = {
  name: 'oncall',
  usage: 'oncall [service]',
  help: 'who is on call now (PagerDuty)',
  args: positional(
    z
      .array(z.string())
      .max(1)
      .transform(([service]) => ({ service: service || undefined })),
    'Usage: `/ops oncall [service]`.',
  ),
  async run({ actor, access, oncall }, { service }) {
    await access.requireRead(actor);
    return text(onCallText(await oncall.onCall(actor, service)));
  },
};
