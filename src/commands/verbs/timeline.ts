import { z } from 'zod';
import { timelinePage } from '../../slack/views/timeline.js';
import { positional, text, type Verb } from './verb.js';

const Page = z
  .string()
  .regex(/^\d{1,4}$/)
  .transform(Number)
  .pipe(z.number().min(1));

/** `/ops timeline [page]`: one page of the timeline of the incident whose channel this is. */
export const timelineVerb: Verb<{ page: number }, 'timeline'> = {
  name: 'timeline',
  usage: 'timeline [page]',
  help: "the incident's timeline, a page at a time (in its channel)",
  args: positional(
    z
      .array(Page)
      .max(1)
      .transform(([page = 1]) => ({ page })),
    'Usage: `/ops timeline [page]` in an incident channel.',
  ),
  async run({ actor, channel, incidents }, { page }) {
    const { incident, events } = await incidents.timeline(actor, channel);
    const shown = timelinePage(incident, events, page);
    return text(shown.text, shown.blocks);
  },
};
