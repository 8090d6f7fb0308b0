import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import type { StepResult } from '../../../src/runbooks/store.js';
import { fill, fillers, type TemplateScope } from '../../../src/runbooks/template.js';

/** A runbook's params, and the results of its earlier steps as the engine hands them to templates. */
const scope: TemplateScope = {
  params: { study: 'study_abc123', replicas: 4 },
  results: new Map<string, StepResult | null>([
    ['ask', { choice: 'yes', by: 'U0ALICE' }],
    ['note', { value: 'gateway pods OOM-killed', by: 'U0BOB' }],
    ['api', { level: 'critical' }],
    [
      'failed',
      {
        rows: 4,
        columns: {
          study_id: ['study_a', 'study_b', 'study_a', 'study_c'],
          error_message: ['timeout', 'timeout', '429', 'timeout'],
          empty: [],
        },
      },
    ],
    ['vacuum', { state: 'failed', exit_code: 0 }],
    ['skipped', null],
  ]),
};

describe('runbook templates', () => {
  it("fills {param} with the runbook's params, numbers as text", () => {
    expect(fill('Retry {study} on {replicas} executors', scope)).toBe('Retry study_abc123 on 4 executors');
  });

  it("fills {step.field} with an answer's choice or value, a check's level, a run's state and exit code", () => {
    expect(fill('{ask.choice} from {ask.by}', scope)).toBe('yes from U0ALICE');
    expect(fill('cause: {note.value}', scope)).toBe('cause: gateway pods OOM-killed');
    expect(fill('the gateway was {api.level}', scope)).toBe('the gateway was critical');
    expect(fill('{vacuum.state}, exit code {vacuum.exit_code}', scope)).toBe('failed, exit code 0');
    expect(fill('{failed.rows} failed jobs', scope)).toBe('4 failed jobs');
  });

  it("fills {step.column} with a lookup's column values, each once, comma-joined in their first order", () => {
    expect(fill('studies {failed.study_id}', scope)).toBe('studies study_a,study_b,study_c');
    expect(fill('{failed.error_message}', scope)).toBe('timeout,429');
  });

  it('leaves text that is not a placeholder alone: capitals, spaces, JSON', () => {
    const text = '{"status": "healthy"} {Study} { study } {1x}';
    expect(fill(text, scope)).toBe(text);
  });

  it('refuses a param the runbook does not have, naming it', () => {
    expect(() => fill('Retry {studyy}', scope)).toThrow(
      new UserError('{studyy} names no param of this runbook.'),
    );
  });

  it('refuses a field a step did not record, a skipped step, a step that is not there', () => {
    expect(() => fill('{api.choice}', scope)).toThrow(
      new UserError('{api.choice} has no value: step api did not record choice.'),
    );
    expect(() => fill('{skipped.level}', scope)).toThrow(
      new UserError('{skipped.level} has no value: step skipped did not record level.'),
    );
    expect(() => fill('{later.value}', scope)).toThrow(
      new UserError('{later.value} has no value: step later did not record value.'),
    );
    expect(() => fill('{failed.surface_id}', scope)).toThrow(
      new UserError('{failed.surface_id} has no value: step failed did not record surface_id.'),
    );
  });

  it("never reads an object's inherited members as params, fields or columns", () => {
    expect(() => fill('{constructor}', scope)).toThrow(UserError);
    expect(() => fill('{api.constructor}', scope)).toThrow(
      new UserError('{api.constructor} has no value: step api did not record constructor.'),
    );
    expect(() => fill('{failed.constructor}', scope)).toThrow(UserError);
  });

  it('refuses a column of no rows rather than fill it with nothing', () => {
    expect(() => fill('re-sync {failed.empty}', scope)).toThrow(
      new UserError('{failed.empty} has no value: step failed found no rows.'),
    );
  });

  it("fills what is known for a card's step list, leaving a value still to come as its placeholder", () => {
    const rows = [
      { name: 'how', result: { choice: 'retry', by: 'U0ALICE' } },
      { name: 'why', result: null },
    ];
    const { known, fill: strict } = fillers({ study: 'study_abc123' }, rows);
    expect(known('{how.choice} {study}? ({why.value})')).toBe('retry study_abc123? ({why.value})');
    expect(known('{nothing}')).toBe('{nothing}');
    expect(() => strict('{why.value}')).toThrow(
      new UserError('{why.value} has no value: step why did not record value.'),
    );
  });
});
