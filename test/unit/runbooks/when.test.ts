import { describe, expect, it } from 'vitest';
import { type When, WhenSchema } from '../../../src/runbooks/config.js';
import type { StepResult, StepRow, StepState } from '../../../src/runbooks/store.js';
import { judge } from '../../../src/runbooks/when.js';

/** A step's row as the engine reads it from runbook_steps. */
function row(name: string, state: StepState, result: StepResult | null = null): StepRow {
  return {
    run_id: 'run_0123456789ab',
    position: 0,
    name,
    type: 'check',
    state,
    detail: null,
    child_run_id: null,
    result,
    wake_at: null,
    deadline_at: null,
    started_at: null,
    finished_at: null,
  };
}

/** A `when:` as ops.yml gives it (one value or a list). */
const when = (raw: unknown): When => WhenSchema.parse(raw);

describe('when: a condition on an earlier step', () => {
  it('lets a step without when: run', () => {
    expect(judge(undefined, [])).toEqual({ run: true });
  });

  it("runs on a check's level in the list, and says what was found when it is not", () => {
    const condition = when({ step: 'api', level: ['warning', 'critical'] });
    expect(judge(condition, [row('api', 'done', { level: 'critical' })])).toEqual({ run: true });
    expect(
      judge(when({ step: 'api', level: 'warning' }), [row('api', 'done', { level: 'warning' })]),
    ).toEqual({ run: true });
    expect(judge(condition, [row('api', 'done', { level: 'ok' })])).toEqual({
      run: false,
      why: 'not needed: api is warning or critical is not so (level ok)',
    });
  });

  it("runs on an answer's choice", () => {
    const condition = when({ step: 'ask', choice: 'yes' });
    expect(judge(condition, [row('ask', 'done', { choice: 'yes', by: 'U0ALICE' })])).toEqual({ run: true });
    expect(judge(condition, [row('ask', 'done', { choice: 'no', by: 'U0ALICE' })])).toEqual({
      run: false,
      why: 'not needed: ask is yes is not so (answer no)',
    });
  });

  it('runs on an exit code, of a run that failed as of one that succeeded, 0 included', () => {
    const condition = when({ step: 'vacuum', exit_code: [0, 3] });
    expect(judge(condition, [row('vacuum', 'done', { state: 'succeeded', exit_code: 0 })])).toEqual({
      run: true,
    });
    expect(judge(condition, [row('vacuum', 'failed', { state: 'failed', exit_code: 3 })])).toEqual({
      run: true,
    });
    expect(judge(condition, [row('vacuum', 'failed', { state: 'failed', exit_code: 1 })])).toEqual({
      run: false,
      why: 'not needed: vacuum exited 0 or 3 is not so (exit code 1)',
    });
    // A run that failed before its command ran has no exit code: no code matches.
    expect(judge(condition, [row('vacuum', 'failed', { state: 'failed' })])).toEqual({
      run: false,
      why: 'not needed: vacuum exited 0 or 3 is not so (no result)',
    });
  });

  it('runs on a row count: gt, lt and eq, each given one holding', () => {
    const rows = (n: number) => [row('failed', 'done', { rows: n })];
    expect(judge(when({ step: 'failed', rows: { gt: 0 } }), rows(1))).toEqual({ run: true });
    expect(judge(when({ step: 'failed', rows: { gt: 0 } }), rows(0))).toEqual({
      run: false,
      why: 'not needed: failed rows > 0 is not so (0 rows)',
    });
    expect(judge(when({ step: 'failed', rows: { eq: 0 } }), rows(0))).toEqual({ run: true });
    const between = when({ step: 'failed', rows: { gt: 2, lt: 10 } });
    expect(judge(between, rows(5))).toEqual({ run: true });
    expect(judge(between, rows(10))).toMatchObject({ run: false });
    expect(judge(between, rows(2))).toMatchObject({ run: false });
    // A step that counted nothing (a check) never meets a row count.
    expect(
      judge(when({ step: 'failed', rows: { lt: 5 } }), [row('failed', 'done', { level: 'ok' })]),
    ).toEqual({
      run: false,
      why: 'not needed: failed rows < 5 is not so (level ok)',
    });
  });

  it('needs every condition given to hold', () => {
    const condition = when({ step: 'inspect', exit_code: 0, rows: { gt: 0 } });
    expect(judge(condition, [row('inspect', 'done', { exit_code: 0, rows: 2 })])).toEqual({ run: true });
    expect(judge(condition, [row('inspect', 'done', { exit_code: 0, rows: 0 })])).toEqual({
      run: false,
      why: 'not needed: inspect exited 0 and inspect rows > 0 is not so (exit code 0, 0 rows)',
    });
  });

  it('a bare step: runs when that step is done, whatever it found', () => {
    const condition = when({ step: 'pick' });
    expect(judge(condition, [row('pick', 'done', { value: 'abc', by: 'U0BOB' })])).toEqual({ run: true });
    expect(judge(condition, [row('pick', 'done')])).toEqual({ run: true });
    expect(judge(condition, [row('pick', 'failed', { state: 'failed', exit_code: 0 })])).toEqual({
      run: false,
      why: 'pick was failed, so “pick succeeded” cannot hold',
    });
  });

  it('skips when the step was skipped, failed without a result, is not done yet, or is not there', () => {
    const condition = when({ step: 'api', level: 'critical' });
    expect(judge(condition, [row('api', 'skipped')])).toEqual({
      run: false,
      why: 'api was skipped, so “api is critical” cannot hold',
    });
    expect(judge(condition, [row('api', 'failed')])).toEqual({
      run: false,
      why: 'api was failed, so “api is critical” cannot hold',
    });
    expect(judge(condition, [row('api', 'running', { level: 'critical' })])).toEqual({
      run: false,
      why: 'api was running, so “api is critical” cannot hold',
    });
    expect(judge(condition, [row('other', 'done', { level: 'critical' })])).toEqual({
      run: false,
      why: 'api was not run, so “api is critical” cannot hold',
    });
  });

  it('reads a wait that failed on its level: until: api, then when: { step: settle, level: critical }', () => {
    const condition = when({ step: 'settle', level: 'critical' });
    expect(judge(condition, [row('settle', 'failed', { level: 'critical' })])).toEqual({ run: true });
    expect(judge(condition, [row('settle', 'failed', { level: 'warning' })])).toEqual({
      run: false,
      why: 'not needed: settle is critical is not so (level warning)',
    });
  });
});
