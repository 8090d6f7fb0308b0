import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type RagCall, RedmineRagService } from '../fixtures/seeds/redmine-rag/service.js';
import { blockText } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness } from '../support/harness.js';
import { runbookRuns } from '../support/runbook-runs.js';
import { buttonBody, postSigned } from '../support/signed-requests.js';

const PROJECT = 'redmine-rag';
const STEPS = ['failed', 'pick', 'inspect', 'fixed', 'projects', 'resync', 'health'];

let h: Harness;
let rag: RedmineRagService;
let rb: ReturnType<typeof runbookRuns>;

/** examples/redmine-rag.ops.yml as it is, but for the health probe (off, so the API sees only the runbook's calls). */
function configText(): string {
  const config = parse(readFileSync(new URL('../../examples/redmine-rag.ops.yml', import.meta.url), 'utf8'));
  config.workspace.health_probe_every = 'off';
  return stringify(config);
}

beforeAll(async () => {
  rag = await new RedmineRagService().start();
  h = await startHarness(
    { runbookPollMs: 100, incidentTickMs: 60_000 },
    { configText: configText(), env: { REDMINE_RAG_HOST: rag.host, REDMINE_RAG_URL: rag.url } },
  );
  rb = runbookRuns(h);
});
afterAll(async () => {
  await h?.close();
  await rag?.stop();
});
beforeEach(() => rag.reset());
// A runbook a failed test left waiting holds its target: Cancel it, so the next test can start its own.
afterEach(async () => {
  const { rows } = await h.db.query(
    "SELECT id, message_ts FROM action_runs WHERE action = 'sync-triage' AND state = 'running'",
  );
  for (const run of rows) {
    await postSigned(
      h.url(),
      buttonBody('run_cancel', run.id, 'U0ALICE', {
        messageTs: run.message_ts,
        responseUrl: h.slack.responseUrl(),
      }),
    );
    await rb.ended(run.id);
  }
});

/** `/ops sync-triage redmine-rag` as Alice: the runbook's run (not a step's) and its card. */
async function startTriage(): Promise<{ runId: string; ts: string }> {
  const { runId } = await rb.request(`sync-triage ${PROJECT}`);
  const { rows } = await h.db.query(
    `SELECT r.id, r.message_ts, r.action FROM action_runs r
     WHERE r.id = (SELECT COALESCE(parent_run_id, id) FROM action_runs WHERE id = $1)`,
    [runId],
  );
  expect(rows[0]?.action).toBe('sync-triage');
  return { runId: rows[0].id, ts: rows[0].message_ts };
}

/** The messages posted in the thread of the card at `ts`, as their text. */
function thread(ts: string): string[] {
  return h.slack
    .of('chat.postMessage')
    .filter((m) => m.thread_ts === ts)
    .map((m) => String(m.text));
}

/** The question step `step` posted in the runbook's thread, once it is there. */
function question(ts: string, step: string): Promise<string> {
  return eventually(() => {
    const posted = h.slack
      .of('chat.postMessage')
      .find((m) => m.thread_ts === ts && JSON.stringify(m.blocks ?? []).includes(`runbook_question:${step}`));
    expect(posted).toBeDefined();
    return blockText(posted as Record<string, unknown>);
  });
}

function callsTo(method: string, path: string): RagCall[] {
  return rag.calls.filter((call) => call.method === method && call.path === path);
}

describe("Redmine RAG's failed-sync triage (runbook 004) as a runbook, from Slack", () => {
  it('lists the failed jobs, inspects the one typed, asks for the fix, re-syncs the typed project after Confirm, checks health', async () => {
    const failed = rag.jobs.filter((job) => job.status === 'failed').reverse();
    // The older failed job: Redmine answered 401 while syncing project 1.
    const target = failed[1];
    expect(target?.payload.project_ids).toEqual([1]);
    const { runId, ts } = await startTriage();

    // 1. failed-syncs: GET /v1/sync/jobs?status=failed&limit=20, a run of its own (low risk: no Confirm).
    const list = await rb.stepRun(runId, 'failed');
    await rb.step(runId, 'failed', ['done']);
    expect(callsTo('GET', '/v1/sync/jobs').map((call) => call.query)).toEqual([
      { status: 'failed', limit: '20' },
    ]);
    const listed = await rb.resultInThread(list.message_ts);
    for (const job of failed) expect(listed).toContain(job.id);
    await eventually(() =>
      expect(thread(ts).join('\n')).toMatch(
        /:white_check_mark: \*failed\*: failed-syncs succeeded: .*total: 2/s,
      ),
    );

    // 2. The question names the failed jobs ({failed.id}); the job id is typed in the modal.
    const pick = await question(ts, 'pick');
    for (const job of failed) expect(pick).toContain(job.id);
    expect(callsTo('GET', `/v1/sync/jobs/${target?.id}`)).toEqual([]);
    await rb.answer(runId, 'pick', target?.id ?? '');
    expect((await rb.step(runId, 'pick', ['done'])).result).toMatchObject({
      value: target?.id,
      by: 'U0ALICE',
    });

    // 3. sync-job: GET /v1/sync/jobs/<that id>.
    await rb.step(runId, 'inspect', ['done']);
    expect(callsTo('GET', `/v1/sync/jobs/${target?.id}`)).toHaveLength(1);

    // 4. The fix is by hand: a yes/no question quoting the job's error.
    const fixed = await question(ts, 'fixed');
    expect(fixed).toContain('Redmine request failed: 401 Unauthorized');
    await rb.answer(runId, 'fixed', 'yes');
    await rb.step(runId, 'fixed', ['done']);

    // 5. The project to re-sync is typed; the question shows the job's payload.
    expect(await question(ts, 'projects')).toContain('"project_ids":[1]');
    await rb.answer(runId, 'projects', '1');
    await rb.step(runId, 'projects', ['done']);

    // 6. sync-project is medium risk: its own card waits for Alice's Confirm; nothing is sent before.
    const resync = await rb.stepRun(runId, 'resync');
    await eventually(async () => {
      const { rows } = await h.db.query('SELECT state FROM action_runs WHERE id = $1', [resync.id]);
      expect(rows[0].state).toBe('awaiting_confirmation');
    });
    expect(callsTo('POST', '/v1/sync/redmine')).toEqual([]);
    expect((await rb.confirm(resync.id, resync.message_ts)).state).toBe('succeeded');
    expect(callsTo('POST', '/v1/sync/redmine')).toEqual([
      { method: 'POST', path: '/v1/sync/redmine', query: {}, body: { project_ids: [1] } },
    ]);
    expect(rag.jobs.at(-1)).toMatchObject({ status: 'queued', payload: { project_ids: [1] } });

    // 7. The healthz check; the runbook succeeds, every step done on its card.
    const end = await rb.ended(runId);
    expect(end).toMatchObject({ state: 'succeeded', error: null });
    expect(callsTo('GET', '/healthz')).toHaveLength(1);
    expect((await rb.step(runId, 'health', ['done'])).result).toEqual({ level: 'warning' });
    for (const [i, name] of STEPS.entries()) expect(end.card).toContain(`${i + 1}. *${name}* (done)`);
    expect(callsTo('POST', '/v1/sync/redmine')).toHaveLength(1);
  });

  it('a job id that does not exist: sync-job fails with 404, the runbook stops there with the reason on its card, and no later step runs', async () => {
    const { runId, ts } = await startTriage();
    await rb.step(runId, 'failed', ['done']);
    await question(ts, 'pick');
    // A value that is no job id is refused in the modal, and nothing is recorded or called.
    const refused = await rb.answer(runId, 'pick', '../../healthz');
    expect(await refused.json()).toEqual({
      response_action: 'errors',
      errors: { answer: 'Must match ^[0-9a-f]{32}$.' },
    });
    expect((await rb.steps(runId))[1]).toMatchObject({ state: 'running', result: null });
    const unknown = 'ffffffffffffffffffffffffffffffff';
    await rb.answer(runId, 'pick', unknown);

    const inspect = await rb.step(runId, 'inspect', ['failed']);
    expect(inspect.detail).toMatch(
      /sync-job \(run_\w+\) failed: GET http:\/\/127\.0\.0\.1:\d+\/v1\/sync\/jobs\/f{32} answered 404 Not Found/,
    );
    const end = await rb.ended(runId);
    expect(end.state).toBe('failed');
    expect(end.error).toMatch(
      /^Stopped at step inspect: sync-job \(run_\w+\) failed: .*answered 404 Not Found/,
    );
    expect(end.card).toContain('Stopped at step inspect');
    expect(end.card).toContain('3. *inspect* (failed)');
    for (const [i, name] of STEPS.entries()) {
      if (i > 2) expect(end.card).toContain(`${i + 1}. *${name}* (waiting)`);
    }
    expect((await rb.steps(runId)).slice(3).map((row) => row.state)).toEqual([
      'waiting',
      'waiting',
      'waiting',
      'waiting',
    ]);
    expect(thread(ts).join('\n')).toContain(':x: *inspect* failed:');
    // After the inspect: no question for the fix, no POST, no /healthz.
    expect(JSON.stringify(h.slack.of('chat.postMessage'))).not.toContain(`${runId}:fixed`);
    expect(rag.calls.map((call) => `${call.method} ${call.path}`)).toEqual([
      'GET /v1/sync/jobs',
      `GET /v1/sync/jobs/${unknown}`,
    ]);
  });
});
