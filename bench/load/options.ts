import { parseArgs } from 'node:util';
import { numberOption } from '../timed-ack.js';

/** bench:load's command line (see bench/load.ts). */
const { values } = parseArgs({
  options: {
    // 200 a second is the figure; this machine (2 shared cores for 4 processes, the client and
    // PostgreSQL) cannot keep up with it (BENCHMARKS.md), so the default is what it can.
    rate: { type: 'string', default: '50' },
    duration: { type: 'string', default: '60' },
    webhooks: { type: 'string', default: '5' },
    fleets: { type: 'string', default: '1+1,2+2' },
    pipeline: { type: 'string', default: '1000' },
    drain: { type: 'string', default: '120' },
  },
});
const number = (name: 'rate' | 'duration' | 'webhooks' | 'pipeline' | 'drain') => numberOption(values, name);
export const options = {
  rate: number('rate'),
  durationMs: number('duration') * 1000,
  webhooks: number('webhooks'),
  pipeline: number('pipeline'),
  drainMs: number('drain') * 1000,
  fleets: String(values.fleets)
    .split(',')
    .map((size) => {
      const [webs, workers] = size.split('+').map(Number);
      if (!webs || !workers) throw new Error(`--fleets takes sizes like 1+1,2+2, not ${size}`);
      return { webs, workers };
    }),
};
