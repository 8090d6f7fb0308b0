import { describe, expect, it } from 'vitest';
import type { Authorizer } from '../../../src/auth/authorizer.js';
import { ConfigError, parseOpsConfig } from '../../../src/config/load.js';
import { ConflictError, NotFoundError, UserError } from '../../../src/errors.js';
import { checkAnswer, RunbookAnswers } from '../../../src/runbooks/answers.js';
import type { Question } from '../../../src/runbooks/ports.js';
import type { StepRow } from '../../../src/runbooks/store.js';
import { type Run, RunSchema } from '../../../src/runs/run.js';

const config = parseOpsConfig(
  `
workspace: { ops_channel: C0OPS }
roles:
  operator: { users: [U0ALICE] }
services:
  bentham:
    environment: production
    databases:
      main: { url: "postgres://opsbot@db.internal:5432/bentham" }
    actions:
      analyze: { kind: maintenance, summary: ANALYZE, database: main, operation: analyze, tables: [jobs] }
      triage:
        kind: runbook
        summary: Triage
        params: { study: { type: string } }
        steps:
          - { name: note, ask: { text: "What happened to {study}?", input: { label: Reason } } }
          - { name: how, ask: { text: "{note.value}: retry {study}?", choices: [retry, leave] } }
          - { name: sure, ask: { text: Sure? } }
          - { name: go, action: analyze }
`,
  {},
);

const now = Date.now();
const later = new Date(now + 60_000);

function run(overrides: Partial<Run> = {}): Run {
  return RunSchema.parse({
    id: 'run_0123456789ab',
    service: 'bentham',
    action: 'triage',
    kind: 'runbook',
    risk: 'low',
    params: { study: 'study_abc123' },
    state: 'running',
    requested_by: 'U0ALICE',
    confirmed_by: null,
    approved_by: null,
    channel_id: 'C0OPS',
    message_ts: '1.1',
    plan: null,
    result: null,
    error: null,
    expires_at: null,
    created_at: new Date(now),
    updated_at: new Date(now),
    parent_run_id: null,
    exit_code: null,
    cancel_requested_by: null,
    ...overrides,
  });
}

function row(name: string, position: number, overrides: Partial<StepRow> = {}): StepRow {
  return {
    run_id: 'run_0123456789ab',
    position,
    name,
    type: name === 'go' ? 'action' : 'ask',
    state: 'waiting',
    detail: null,
    child_run_id: null,
    result: null,
    wake_at: null,
    deadline_at: null,
    started_at: null,
    finished_at: null,
    ...overrides,
  };
}

/** The note answered, `how` asked and open until `later`: what a runbook at its second question has. */
function rows(how: Partial<StepRow> = {}): StepRow[] {
  return [
    row('note', 0, { state: 'done', result: { value: 'OOM-killed', by: 'U0BOB' }, deadline_at: later }),
    row('how', 1, { state: 'running', deadline_at: later, ...how }),
    row('sure', 2),
    row('go', 3),
  ];
}

/** RunbookAnswers over one run and its rows; no authorizer (none of these tests may reach it). */
function answers(theRun: Run | undefined, theRows: StepRow[]) {
  const authorizer = {
    require: () => Promise.reject(new Error('authorization was not expected here')),
  } as unknown as Authorizer;
  return new RunbookAnswers({
    config,
    runStore: { get: async () => theRun },
    store: { steps: async () => theRows, answer: async () => undefined },
    authorizer,
  });
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('RunbookAnswers.question', () => {
  it('is the question as asked: its text filled with params and earlier answers, its deadline', async () => {
    const question = await answers(run(), rows()).question('U0ALICE', 'run_0123456789ab', 'how');
    expect(question).toEqual({
      runId: 'run_0123456789ab',
      step: 'how',
      text: 'OOM-killed: retry study_abc123?',
      choices: ['retry', 'leave'],
      deadline: later,
    });
  });

  it.each([
    [
      'answered by someone else',
      run(),
      rows({ result: { choice: 'leave', by: 'U0BOB' } }),
      'U0ALICE',
      '<@U0BOB> already answered this question: *leave*.',
    ],
    [
      'answered by the presser',
      run(),
      rows({ state: 'done', result: { choice: 'retry', by: 'U0ALICE' } }),
      'U0ALICE',
      'You already answered this question: *retry*.',
    ],
    [
      'the runbook ended',
      run({ state: 'failed' }),
      rows(),
      'U0ALICE',
      'This runbook has ended (failed); its questions are closed.',
    ],
    [
      'a cancel requested',
      run({ cancel_requested_by: 'U0BOB' }),
      rows(),
      'U0ALICE',
      '<@U0BOB> cancelled this runbook; its questions are closed.',
    ],
    [
      'not asked yet',
      run(),
      rows({ state: 'waiting', deadline_at: null }),
      'U0ALICE',
      'This question has not been asked yet.',
    ],
    [
      'claimed, not yet posted',
      run(),
      rows({ deadline_at: null }),
      'U0ALICE',
      'This question has not been asked yet.',
    ],
    [
      'skipped',
      run(),
      rows({ state: 'skipped', detail: 'not needed' }),
      'U0ALICE',
      'This question was skipped (not needed).',
    ],
    [
      'past its deadline',
      run(),
      rows({ deadline_at: new Date(now - 1000) }),
      'U0ALICE',
      /^Nobody answered in time; this question closed at \d\d:\d\d UTC\.$/,
    ],
    [
      'failed by timeout',
      run(),
      rows({ state: 'failed', deadline_at: new Date(now - 1000) }),
      'U0ALICE',
      /^Nobody answered in time/,
    ],
  ])('is refused once closed: %s', async (_, theRun, theRows, actor, sentence) => {
    const error = await refusal(answers(theRun, theRows).question(actor, 'run_0123456789ab', 'how'));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(sentence);
  });

  it('names what does not exist: the run, the question', async () => {
    const missing = await refusal(answers(undefined, []).question('U0ALICE', 'run_nope', 'how'));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as Error).message).toBe('There is no runbook run run_nope.');
    const action = await refusal(answers(run(), rows()).question('U0ALICE', 'run_0123456789ab', 'go'));
    expect((action as Error).message).toBe('triage has no question called go.');
    const sql = await refusal(
      answers(run({ kind: 'sql' }), rows()).question('U0ALICE', 'run_0123456789ab', 'how'),
    );
    expect(sql).toBeInstanceOf(NotFoundError);
  });
});

describe('RunbookAnswers.answer', () => {
  it('gives back a value the question does not take, before any authorization or record', async () => {
    const outcome = await answers(run(), rows()).answer('U0CAROL', 'run_0123456789ab', 'how', 'maybe');
    expect(outcome).toEqual({ recorded: false, problem: 'Pick one of retry, leave.' });
    expect(await answers(run(), rows()).check('U0CAROL', 'run_0123456789ab', 'how', 'retry')).toBeUndefined();
  });
});

describe('checkAnswer', () => {
  const choice: Question = { runId: 'r', step: 's', text: 't', choices: ['retry', 'leave'], deadline: later };
  const confirm: Question = { ...choice, choices: ['yes', 'no'], confirm: true };
  const typed: Question = {
    runId: 'r',
    step: 's',
    text: 't',
    input: { label: 'Job id', pattern: '^[0-9]+$' },
    deadline: later,
  };

  it('takes one of the choices (yes or no for a confirmation), nothing else', () => {
    expect(checkAnswer(choice, 'leave')).toEqual({ ok: true, value: 'leave' });
    expect(checkAnswer(choice, 'Leave')).toEqual({ ok: false, problem: 'Pick one of retry, leave.' });
    expect(checkAnswer(choice, '')).toEqual({ ok: false, problem: 'Pick one of retry, leave.' });
    expect(checkAnswer(confirm, 'no')).toEqual({ ok: true, value: 'no' });
    expect(checkAnswer(confirm, 'nope')).toEqual({ ok: false, problem: 'Pick one of yes, no.' });
  });

  it('takes typed text, trimmed, matching its pattern and not too long', () => {
    expect(checkAnswer(typed, ' 42 ')).toEqual({ ok: true, value: '42' });
    expect(checkAnswer(typed, '42a')).toEqual({ ok: false, problem: 'Must match ^[0-9]+$.' });
    expect(checkAnswer(typed, '   ')).toEqual({ ok: false, problem: 'Type the Job id.' });
    const free: Question = { ...typed, input: { label: 'Reason' } };
    expect(checkAnswer(free, 'anything at all')).toEqual({ ok: true, value: 'anything at all' });
    expect(checkAnswer(free, 'x'.repeat(201))).toEqual({
      ok: false,
      problem: 'Must be at most 200 characters.',
    });
  });

  it('refuses, in ops.yml, a pattern that is no regular expression', () => {
    const text = [
      'workspace: { ops_channel: C0OPS }',
      'services:',
      '  bentham:',
      '    environment: staging',
      '    actions:',
      '      ask-only:',
      '        kind: runbook',
      '        summary: Ask',
      '        steps:',
      '          - { name: id, ask: { text: Which job?, input: { label: Job id, pattern: "([0-9" } } }',
    ].join('\n');
    let issues: string[] = [];
    try {
      parseOpsConfig(text, {});
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      issues = (error as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
    }
    expect(issues).toEqual([
      'services.bentham.actions.ask-only.steps[0].ask.input.pattern: is not a valid regular expression',
    ]);
  });

  it('says a pattern that is no regular expression is ops.yml’s fault', () => {
    const broken: Question = { ...typed, input: { label: 'Job id', pattern: '([0-9' } };
    expect(() => checkAnswer(broken, '42')).toThrow(UserError);
    expect(() => checkAnswer(broken, '42')).toThrow(
      /\(\(\[0-9\) is not a valid regular expression; fix ops\.yml/,
    );
  });
});
