import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness, testConfigText } from '../support/harness.js';
import { slackRuns } from '../support/seed-runs.js';

let h: Harness;
beforeAll(async () => {
  const config = parse(testConfigText());
  config.services.bentham.actions.smoke = {
    kind: 'runbook',
    summary: 'smoke',
    params: { study: { type: 'string', pattern: '^study_[a-z0-9]+$' } },
    steps: [
      { name: 'db', check: 'database' },
      { name: 'note', action: 'annotate', with: { message: 'checked {db.level}' } },
      { name: 'skipme', action: 'annotate', when: { step: 'db', level: 'critical' } },
      { name: 'touch', action: 'touch' },
      { name: 'pause', wait: { for: '1s' } },
      { name: 'bye', message: 'done with {study}' },
    ],
  };
  h = await startHarness({ runbookPollMs: 100 }, { configText: stringify(config) });
}, 30_000);
afterAll(async () => h?.close());

it('runs a runbook', async () => {
  const slack = slackRuns(h);
  const { runId, ts } = await slack.request('smoke bentham study_abc');
  const touch = await eventually(async () => {
    const { rows } = await h.db.query(
      "SELECT id, message_ts, state FROM action_runs WHERE parent_run_id = $1 AND action = 'touch'",
      [runId],
    );
    expect(rows[0]?.state).toBe('awaiting_confirmation');
    expect(rows[0]?.message_ts).toBeTruthy();
    return rows[0];
  }, 15_000);
  await slack.confirm(touch.id, touch.message_ts);
  const run = await eventually(async () => {
    const { rows } = await h.db.query('SELECT state, error, result FROM action_runs WHERE id = $1', [runId]);
    expect(rows[0].state).not.toBe('running');
    return rows[0];
  }, 15_000);
  const steps = await h.db.query(
    'SELECT name, state, detail FROM runbook_steps WHERE run_id = $1 ORDER BY position',
    [runId],
  );
  console.log(run, steps.rows);
  console.log(
    h.slack
      .of('chat.postMessage')
      .filter((m) => m.thread_ts === ts)
      .map((m) => m.text),
  );
  expect(run.state).toBe('succeeded');
}, 60_000);
