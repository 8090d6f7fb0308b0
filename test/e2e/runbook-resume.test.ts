import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { RUNBOOKS_QUEUE } from '../../src/queue/queues.js';
import { stepRunId } from '../../src/runbooks/steps/action.js';
import { eventually } from '../support/databases.js';
import { type Harness, startHarness, testConfigText } from '../support/harness.js';
import { runbookRuns } from '../support/runbook-runs.js';
import { buttonBody, postSigned } from '../support/signed-requests.js';
import { TEST_REDIS_URL } from '../support/test-env.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Test-only actions and runbooks added to the Bentham test config. touch (medium, not idempotent: it adds one
 * to attempt_count) and annotate (low) are test/fixtures/extra-actions.yml's; wipe needs admin; break always
 * fails (a division by zero in PostgreSQL). Bentham's runbook has none of these: they exist to test the engine.
 */
const EXTRA = `
wipe:
  kind: sql
  summary: Overwrite the error message of every job of a study (admins only)
  database: main
  params: { study: { type: string, pattern: "^study_[a-z0-9]+$" } }
  run: UPDATE jobs SET error_message = 'wiped' WHERE study_id = :study
  role: admin
  risk: low
break:
  kind: sql
  summary: Fails every time
  database: main
  params: { study: { type: string, pattern: "^study_[a-z0-9]+$" } }
  run: UPDATE jobs SET attempt_count = attempt_count / 0 WHERE study_id = :study
  role: operator
  risk: low
resume-drill:
  kind: runbook
  summary: Touch, pause, annotate
  role: operator
  params: { study: { type: string, pattern: "^study_[a-z0-9]+$" } }
  steps:
    - { name: first, action: touch }
    - { name: pause, wait: { for: 4s } }
    - { name: second, action: annotate, with: { message: resumed after a kill } }
    - { name: last, message: "done with {study}" }
confirm-drill:
  kind: runbook
  summary: Touch after a Confirm
  role: operator
  params: { study: { type: string, pattern: "^study_[a-z0-9]+$" } }
  steps:
    - { name: first, action: touch }
    - { name: last, message: "touched {study}" }
ask-drill:
  kind: runbook
  summary: A question open across a kill
  role: operator
  steps:
    - { name: q, ask: { text: "Carry on?" } }
    - { name: last, message: "answered {q.choice}" }
guarded-drill:
  kind: runbook
  summary: An operator's runbook with an admin's step
  role: operator
  params: { study: { type: string, pattern: "^study_[a-z0-9]+$" } }
  steps:
    - { name: mark, action: annotate, with: { message: before the guarded step } }
    - { name: guarded, action: wipe, on_failure: continue }
    - { name: after, action: annotate, with: { message: after the guarded step } }
    - { name: end, message: "finished {study}" }
failure-drill:
  kind: runbook
  summary: on_failure continue and a jump
  role: operator
  params: { study: { type: string, pattern: "^study_[a-z0-9]+$" } }
  steps:
    - { name: broken, action: break, on_failure: continue }
    - { name: went-on, message: "went on after a run that {broken.state}" }
    - { name: jump, action: break, on_failure: tail }
    - { name: passed-a, action: annotate, with: { message: never } }
    - { name: passed-b, message: never }
    - { name: tail, message: landed }
late-annotate:
  kind: sql
  summary: Annotate a study's failed jobs, two seconds late
  database: main
  params: { study: { type: string, pattern: "^study_[a-z0-9]+$" } }
  run: UPDATE jobs SET error_message = 'slow' FROM (SELECT pg_sleep(2)) AS pause WHERE study_id = :study AND status = 'failed'
  role: operator
  risk: low
cancel-run-drill:
  kind: runbook
  summary: Cancelled while a step's run executes
  role: operator
  params: { study: { type: string, pattern: "^study_[a-z0-9]+$" } }
  steps:
    - { name: slow, action: late-annotate }
    - { name: after, action: annotate, with: { message: after the cancel } }
cancel-drill:
  kind: runbook
  summary: Cancelled while it waits
  role: operator
  params: { study: { type: string, pattern: "^study_[a-z0-9]+$" } }
  steps:
    - { name: one, message: "one" }
    - { name: hold, wait: { for: 30s } }
    - { name: two, action: annotate, with: { message: after the cancel } }
    - { name: three, message: never }
`;

function configText(): string {
  const config = parse(testConfigText());
  Object.assign(config.services.bentham.actions, parse(EXTRA));
  // Two more channels, so that the killed worker's posts (one a second per channel, Slack's pace) to three
  // runbooks' cards do not queue behind each other.
  config.channels.allow.push('C0CONFIRM', 'C0ASK');
  return stringify(config);
}

let h: Harness;
let runs: ReturnType<typeof runbookRuns>;
let dir: string;
const children: ChildProcess[] = [];
let worker: Promise<unknown> | undefined;

/** The in-process worker (polling runbook steps every 100 ms), started once: after the kill, or for later tests. */
function inProcessWorker(): Promise<unknown> {
  worker ??= h.startAnother({ role: 'worker', runbookPollMs: 100 });
  return worker;
}

beforeAll(async () => {
  const text = configText();
  h = await startHarness({ role: 'web', runbookPollMs: 100 }, { configText: text });
  runs = runbookRuns(h);
  dir = await mkdtemp(join(tmpdir(), 'opsbot-runbook-resume-'));
  await writeFile(join(dir, 'ops.yml'), text);
});
afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await h?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * `opsbot start --role worker` as a process of its own, on the harness's environment; resolves once started.
 * Node itself with tsx's loader, not node_modules/.bin/tsx: that is a parent process, and SIGKILL of it would
 * leave the worker running.
 */
async function spawnWorker(): Promise<ChildProcess> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('SLACK_') && !name.startsWith('OPSBOT_')),
  );
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src/cli.ts'), 'start', '--role', 'worker'],
    {
      cwd: ROOT,
      env: { ...inherited, ...h.vars, OPSBOT_CONFIG: join(dir, 'ops.yml'), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  await eventually(() => {
    expect(child.exitCode, out).toBeNull();
    expect(out).toContain('"opsbot started"');
  }, 20_000);
  return child;
}

/** Alice presses a button (run_confirm, run_cancel) on the card of run `runId` at `ts` in `channel`. */
async function press(actionId: string, runId: string, ts: string, channel = 'C0OPS'): Promise<void> {
  await postSigned(
    h.url(),
    buttonBody(actionId, runId, 'U0ALICE', { channel, messageTs: ts, responseUrl: h.slack.responseUrl() }),
  );
}

/** The attempt count of each of the study's jobs, by job id: touch adds one to each. */
async function attempts(study: string): Promise<number[]> {
  const { rows } = await h.bentham.query('SELECT attempt_count FROM jobs WHERE study_id = $1 ORDER BY id', [
    study,
  ]);
  return rows.map((row) => row.attempt_count as number);
}

/** The error messages of the study's failed jobs, by job id: what annotate and wipe write. */
async function errorMessages(study: string): Promise<(string | null)[]> {
  const { rows } = await h.bentham.query('SELECT error_message FROM jobs WHERE study_id = $1 ORDER BY id', [
    study,
  ]);
  return rows.map((row) => row.error_message as string | null);
}

const plusOne = (counts: number[]) => counts.map((count) => count + 1);

/** The question messages posted for runbook `runId` (each with its Answer button). */
function questions(runId: string): unknown[] {
  return h.slack.of('chat.postMessage').filter((message) => JSON.stringify(message).includes(`"${runId}:q"`));
}

/** The runbook's step events in the audit log (after entry `after`), as `event step`. */
async function stepEvents(runId: string, after = '0'): Promise<string[]> {
  const { rows } = await h.db.query(
    `SELECT event, detail->>'step' AS step FROM audit_log
     WHERE run_id = $1 AND event LIKE 'runbook.step.%' AND id > $2 ORDER BY id`,
    [runId, after],
  );
  return rows.map((row) => `${row.event} ${row.step}`);
}

/** The runs the runbook's action steps made, oldest first. */
async function childRuns(runId: string): Promise<{ id: string; action: string; state: string }[]> {
  const { rows } = await h.db.query(
    'SELECT id, action, state FROM action_runs WHERE parent_run_id = $1 ORDER BY created_at',
    [runId],
  );
  return rows;
}

/** How many audit entries of `event` run `runId` has. */
async function auditCount(runId: string, event: string): Promise<number> {
  const { rows } = await h.db.query(
    'SELECT count(*)::int AS n FROM audit_log WHERE run_id = $1 AND event = $2',
    [runId, event],
  );
  return rows[0].n as number;
}

describe('a runbook survives kill -9 of its worker', () => {
  it('resumes each runbook at its step: a wait keeps its end, a step run waiting for Confirm and an open question go on; nothing runs twice', async () => {
    const child = await spawnWorker();
    const abc = await attempts('study_abc123');
    const other = await attempts('study_other1');

    // B: first (touch, medium) confirmed and run by the child, then a 4 s pause.
    const b = await runs.request('resume-drill bentham study_abc123');
    const bFirst = await runs.stepRun(b.runId, 'first');
    expect(bFirst.state).toBe('awaiting_confirmation');
    await press('run_confirm', bFirst.id, bFirst.message_ts);
    // A: first waits for a Confirm nobody has given when the worker dies.
    const a = await runs.request('confirm-drill bentham study_other1', 'U0ALICE', 'C0CONFIRM');
    const aFirst = await runs.stepRun(a.runId, 'first');
    expect(aFirst.state).toBe('awaiting_confirmation');
    // C: a question posted in its thread, open when the worker dies.
    const c = await runs.request('ask-drill bentham', 'U0ALICE', 'C0ASK');
    await eventually(() => expect(questions(c.runId)).toHaveLength(1));
    await runs.step(b.runId, 'pause', ['running']);

    // Killed between looks: both runbooks' jobs wait in Redis (delayed), as they do nearly all the time.
    const queue = new Queue(RUNBOOKS_QUEUE, {
      connection: { url: TEST_REDIS_URL },
      prefix: h.vars.OPSBOT_QUEUE_PREFIX,
    });
    try {
      await eventually(async () => {
        expect(await queue.getJobState(b.runId)).toBe('delayed');
        expect(await queue.getJobState(a.runId)).toBe('delayed');
        expect(await queue.getJobState(c.runId)).toBe('delayed');
      });
    } finally {
      await queue.close();
    }
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(child.signalCode).toBe('SIGKILL');
    expect(() => process.kill(child.pid as number, 0), 'the worker process is gone').toThrow();

    const { rows: marks } = await h.db.query('SELECT max(id) AS id FROM audit_log');
    const killedAt = String(marks[0].id);
    const { rows: paused } = await h.db.query(
      "SELECT deadline_at FROM runbook_steps WHERE run_id = $1 AND name = 'pause'",
      [b.runId],
    );
    const pauseEnd = paused[0].deadline_at as Date;
    expect(pauseEnd).toBeInstanceOf(Date);
    expect(await attempts('study_abc123')).toEqual(plusOne(abc));
    expect(await stepEvents(b.runId)).toEqual([
      'runbook.step.running first',
      'runbook.step.done first',
      'runbook.step.running pause',
    ]);

    // Confirmed while no worker is alive; a new worker (another process) takes both runbooks on.
    await press('run_confirm', aFirst.id, aFirst.message_ts, 'C0CONFIRM');
    await inProcessWorker();

    const bEnd = await runs.ended(b.runId);
    expect(bEnd.state, bEnd.error ?? '').toBe('succeeded');
    expect(bEnd.card).toContain('4 steps done, 0 skipped.');
    // Resumed at pause: after the kill, only pause's end and the steps after it happened.
    expect(await stepEvents(b.runId, killedAt)).toEqual([
      'runbook.step.done pause',
      'runbook.step.running second',
      'runbook.step.done second',
      'runbook.step.running last',
      'runbook.step.done last',
    ]);
    // The wait was not started over: its end is the one the killed worker set, and it ended after it.
    const { rows: ended } = await h.db.query(
      "SELECT deadline_at, finished_at FROM runbook_steps WHERE run_id = $1 AND name = 'pause'",
      [b.runId],
    );
    expect(ended[0].deadline_at).toEqual(pauseEnd);
    expect(ended[0].finished_at.getTime()).toBeGreaterThanOrEqual(pauseEnd.getTime());
    // Every step ran once; first's touch once (one run, one execution, one increment).
    expect((await stepEvents(b.runId)).filter((e) => e.startsWith('runbook.step.running'))).toEqual([
      'runbook.step.running first',
      'runbook.step.running pause',
      'runbook.step.running second',
      'runbook.step.running last',
    ]);
    expect(await childRuns(b.runId)).toEqual([
      { id: stepRunId(b.runId, 'first'), action: 'touch', state: 'succeeded' },
      { id: stepRunId(b.runId, 'second'), action: 'annotate', state: 'succeeded' },
    ]);
    expect(await auditCount(bFirst.id, 'run.running')).toBe(1);
    expect(await auditCount(stepRunId(b.runId, 'second'), 'run.running')).toBe(1);
    expect(await attempts('study_abc123')).toEqual(plusOne(abc));
    const { rows: annotated } = await h.bentham.query(
      "SELECT count(*)::int AS n FROM jobs WHERE study_id = 'study_abc123' AND error_message = 'resumed after a kill'",
    );
    expect(annotated[0].n).toBe(3);

    // A: the step that waited for Confirm across the kill ran once, after it.
    const aEnd = await runs.ended(a.runId);
    expect(aEnd.state, aEnd.error ?? '').toBe('succeeded');
    expect(await stepEvents(a.runId)).toEqual([
      'runbook.step.running first',
      'runbook.step.done first',
      'runbook.step.running last',
      'runbook.step.done last',
    ]);
    expect(await childRuns(a.runId)).toEqual([{ id: aFirst.id, action: 'touch', state: 'succeeded' }]);
    expect(await auditCount(aFirst.id, 'run.running')).toBe(1);
    expect(await attempts('study_other1')).toEqual(plusOne(other));

    // C: the question asked before the kill is answered after it, through its one message.
    await runs.answer(c.runId, 'q', 'yes', 'U0ALICE', 'C0ASK');
    const cEnd = await runs.ended(c.runId);
    expect(cEnd.state, cEnd.error ?? '').toBe('succeeded');
    expect(await stepEvents(c.runId)).toEqual([
      'runbook.step.running q',
      'runbook.step.answered q',
      'runbook.step.done q',
      'runbook.step.running last',
      'runbook.step.done last',
    ]);
    expect((await runs.steps(c.runId)).map((step) => step.detail)).toEqual([
      '<@U0ALICE> answered yes',
      'answered yes',
    ]);
    expect(questions(c.runId)).toHaveLength(1);
    await eventually(() =>
      expect(h.slack.of('chat.update').map((update) => String(update.text))).toContain(
        ':question: Carry on?\nAnswered *yes* by <@U0ALICE>.',
      ),
    );
  });
});

describe('a step the requester may not run', () => {
  beforeAll(inProcessWorker);

  it('stops the runbook at that step with the policy sentence on the card, even with on_failure: continue; nothing after it runs', async () => {
    const { runId } = await runs.request('guarded-drill bentham study_other1');
    const end = await runs.ended(runId);
    const reason = '`wipe` on bentham needs admin; <@U0ALICE> is operator (ops.yml roles.operator.users).';
    expect(end.state).toBe('failed');
    expect(end.error).toBe(`Stopped at step guarded: ${reason}`);
    expect(end.card).toContain(`Stopped at step guarded: ${reason}`);
    const steps = await runs.steps(runId);
    expect(steps.map((step) => [step.name, step.state, step.detail])).toEqual([
      ['mark', 'done', 'annotate succeeded: 1 row affected.'],
      ['guarded', 'failed', reason],
      ['after', 'waiting', null],
      ['end', 'waiting', null],
    ]);
    expect(await childRuns(runId)).toEqual([
      { id: stepRunId(runId, 'mark'), action: 'annotate', state: 'succeeded' },
    ]);
    expect(await errorMessages('study_other1')).toEqual(['before the guarded step']);

    // The same runbook started by an admin runs every step: the stop above was the role, nothing else.
    const { runId: byAdmin } = await runs.request('guarded-drill bentham study_other1', 'U0ADMIN');
    const ran = await runs.ended(byAdmin);
    expect(ran.state, ran.error ?? '').toBe('succeeded');
    expect(await errorMessages('study_other1')).toEqual(['after the guarded step']);
  });
});

describe('on_failure and Cancel', () => {
  beforeAll(inProcessWorker);

  it('continue goes on after a failed step; a named step skips those between', async () => {
    const before = await attempts('study_abc123');
    const { runId } = await runs.request('failure-drill bentham study_abc123');
    const end = await runs.ended(runId);
    expect(end.state, end.error ?? '').toBe('succeeded');
    expect(end.card).toContain('2 steps done, 2 skipped, 2 failed and passed over (on_failure).');
    const steps = await runs.steps(runId);
    expect(steps.map((step) => [step.name, step.state])).toEqual([
      ['broken', 'failed'],
      ['went-on', 'done'],
      ['jump', 'failed'],
      ['passed-a', 'skipped'],
      ['passed-b', 'skipped'],
      ['tail', 'done'],
    ]);
    expect(steps[0]?.detail).toContain('division by zero');
    expect(steps[1]?.detail).toBe('went on after a run that failed');
    expect(steps[3]?.detail).toBe('skipped: jump failed and goes on at tail');
    expect(await childRuns(runId)).toEqual([
      { id: stepRunId(runId, 'broken'), action: 'break', state: 'failed' },
      { id: stepRunId(runId, 'jump'), action: 'break', state: 'failed' },
    ]);
    expect(await attempts('study_abc123')).toEqual(before);
  });

  it('Cancel during a wait stops the runbook there: the wait ends failed, nothing after it runs', async () => {
    const before = await errorMessages('study_abc123');
    const { runId, ts } = await runs.request('cancel-drill bentham study_abc123');
    await runs.step(runId, 'hold', ['running']);
    await press('run_cancel', runId, ts);
    const end = await runs.ended(runId);
    expect(end.state).toBe('cancelled');
    expect(end.error).toBe('Cancelled by <@U0ALICE> between steps.');
    const steps = await runs.steps(runId);
    expect(steps.map((step) => [step.name, step.state, step.detail])).toEqual([
      ['one', 'done', 'one'],
      ['hold', 'failed', 'stopped: <@U0ALICE> cancelled the runbook'],
      ['two', 'waiting', null],
      ['three', 'waiting', null],
    ]);
    expect(end.card).toContain('*hold* (failed) — wait 30s');
    expect(end.card).toContain('stopped: <@U0ALICE> cancelled the runbook');
    // Ended before the wait would have: Cancel did not wait its 30 s out.
    const { rows } = await h.db.query(
      "SELECT deadline_at, finished_at FROM runbook_steps WHERE run_id = $1 AND name = 'hold'",
      [runId],
    );
    expect(rows[0].finished_at.getTime()).toBeLessThan(rows[0].deadline_at.getTime());
    expect(await childRuns(runId)).toEqual([]);
    expect(await errorMessages('study_abc123')).toEqual(before);
  });
  it("Cancel while a step's run executes ends the runbook once that run has: nothing after it runs", async () => {
    const { runId, ts } = await runs.request('cancel-run-drill bentham study_other1');
    await eventually(async () => {
      const { rows } = await h.db.query('SELECT state FROM action_runs WHERE id = $1', [
        stepRunId(runId, 'slow'),
      ]);
      expect(rows[0]?.state).toBe('running');
    });
    await press('run_cancel', runId, ts);
    const end = await runs.ended(runId);
    expect(end.state).toBe('cancelled');
    expect(end.error).toBe('Cancelled by <@U0ALICE> between steps.');
    // The run could not be stopped halfway: the runbook waited for it, recorded it, and went no further.
    expect(await childRuns(runId)).toEqual([
      { id: stepRunId(runId, 'slow'), action: 'late-annotate', state: 'succeeded' },
    ]);
    expect((await runs.steps(runId)).map((step) => [step.name, step.state])).toEqual([
      ['slow', 'done'],
      ['after', 'waiting'],
    ]);
    expect(await errorMessages('study_other1')).not.toContain('after the cancel');
  });
});
