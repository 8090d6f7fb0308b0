import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ACTIONS_QUEUE, QUEUES } from '../../src/queue/queues.js';
import { type Harness, startHarness, testConfigText } from '../support/harness.js';
import { slackRuns } from '../support/seed-runs.js';
import { slowCountAction } from '../support/slow-action.js';

/** As many actions as one worker runs at once. */
const AT_ONCE = QUEUES[ACTIONS_QUEUE].concurrency;

let h: Harness;

beforeAll(async () => {
  const config = parse(testConfigText());
  // Low risk, so each runs on request; its statement holds its connection longer than the pool's 5 s
  // connect timeout.
  config.services.bentham.actions.linger = slowCountAction(6);
  h = await startHarness({}, { configText: stringify(config) });
  const studies = Array.from({ length: AT_ONCE }, (_, i) => `study_p${i}`);
  await h.bentham.query("INSERT INTO jobs (study_id, status) SELECT unnest($1::text[]), 'failed'", [studies]);
});
afterAll(async () => {
  await h?.close();
});

describe("a worker's pool for a service's database", () => {
  it('has a connection for every action the worker runs at once: none waits out the connect timeout', async () => {
    const runs = slackRuns(h);
    const requested = [];
    for (let i = 0; i < AT_ONCE; i++) requested.push(await runs.request(`linger bentham study_p${i}`));
    const ended = await Promise.all(requested.map(({ runId, ts }) => runs.finished(runId, ts)));
    expect(ended.map((run) => run.error)).toEqual(requested.map(() => null));
    expect(ended.map((run) => run.state)).toEqual(requested.map(() => 'succeeded'));
  }, 40_000);
});
