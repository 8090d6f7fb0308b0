import { describe, expect, it } from 'vitest';
import { interpret } from '../../../src/commands/interpret.js';
import { parseOpsConfig } from '../../../src/config/load.js';
import { NotFoundError, OpsError, UserError } from '../../../src/errors.js';

const YAML = `
workspace: { ops_channel: C0OPS }
services:
  bentham:
    environment: production
    databases:
      main: { url: "\${BENTHAM_DATABASE_URL}" }
    actions:
      retry:
        kind: sql
        summary: Retry the failed jobs of a study
        database: main
        params:
          study: { type: string, pattern: "^study_[a-z0-9]+$" }
          limit: { type: integer, min: 1, max: 100, optional: true }
        run: UPDATE jobs SET status = 'pending' WHERE study_id = :study AND id < coalesce(:limit, 1000000)
      vacuum:
        kind: sql
        summary: Vacuum the jobs table
        database: main
        run: VACUUM jobs
  orchestrator:
    environment: staging
    databases:
      main: { url: "postgres://localhost/orchestrator" }
    actions:
      retry:
        kind: sql
        summary: Retry a workflow
        database: main
        params:
          workflow: { type: string }
        run: UPDATE workflows SET state = 'pending' WHERE id = :workflow
`;

const config = parseOpsConfig(YAML, { BENTHAM_DATABASE_URL: 'postgres://opsbot@db.internal/bentham' });

function failure(text: string): Error {
  try {
    interpret(text, config);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`interpret(${JSON.stringify(text)}) did not throw`);
}

describe('interpret', () => {
  it.each(['', '   ', 'help', 'HELP', 'help me please'])('reads %j as help', (text) => {
    expect(interpret(text, config)).toEqual({ kind: 'help' });
  });

  it('refuses an unknown verb as a user error', () => {
    const error = failure('restart bentham');
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toContain('Unknown command `restart`');
  });

  it('asks which service when none is given, listing those that offer the verb', () => {
    const error = failure('retry');
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toContain('Which service?');
    expect(error.message).toContain('bentham, orchestrator');
  });

  it('refuses a service that does not offer the verb as not found', () => {
    const unknown = failure('retry nosuch study_x');
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect(unknown.message).toContain('nosuch has no action `retry`');
    expect(unknown.message).toContain('bentham, orchestrator');

    const notOffered = failure('vacuum orchestrator');
    expect(notOffered).toBeInstanceOf(NotFoundError);
    expect(notOffered.message).toContain('configured for bentham');
  });

  it('refuses too many positional args, quoting the usage', () => {
    const error = failure('retry bentham study_x 5 extra');
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toBe('Too many arguments; the usage is `/ops retry bentham <study> [limit]`.');
  });

  it('quotes the usage without a trailing space for an action without params', () => {
    const error = failure('vacuum bentham now');
    expect(error.message).toBe('Too many arguments; the usage is `/ops vacuum bentham`.');
  });

  it('refuses an unknown named param', () => {
    const error = failure('retry bentham study_x colour=red');
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toContain('retry has no param called colour');
  });

  it('refuses a param given both by position and by name', () => {
    const error = failure('retry bentham study_x study=study_y');
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toBe('study is given twice.');
  });

  it('runs a valid command with positional args, converting integers', () => {
    expect(interpret('RETRY bentham study_abc123 25', config)).toEqual({
      kind: 'run',
      service: 'bentham',
      action: 'retry',
      values: { study: 'study_abc123', limit: 25 },
    });
  });

  it('runs a valid command with named args in any order', () => {
    expect(interpret('retry bentham limit=3 study=study_abc', config)).toEqual({
      kind: 'run',
      service: 'bentham',
      action: 'retry',
      values: { study: 'study_abc', limit: 3 },
    });
  });

  it('picks the action of the named service when several services share a verb', () => {
    expect(interpret('retry orchestrator "wf 42"', config)).toEqual({
      kind: 'run',
      service: 'orchestrator',
      action: 'retry',
      values: { workflow: 'wf 42' },
    });
  });

  it('runs an action without params', () => {
    expect(interpret('vacuum bentham', config)).toEqual({
      kind: 'run',
      service: 'bentham',
      action: 'vacuum',
      values: {},
    });
  });

  it('opens the form without errors when a required param is missing', () => {
    expect(interpret('retry bentham', config)).toEqual({
      kind: 'form',
      service: 'bentham',
      action: 'retry',
      prefill: {},
      errors: {},
    });
  });

  it('opens the form with the typed values and only their errors', () => {
    expect(interpret('retry bentham limit=500', config)).toEqual({
      kind: 'form',
      service: 'bentham',
      action: 'retry',
      prefill: { limit: '500' },
      errors: { limit: 'Must be at most 100.' },
    });
  });

  it('reports every typed value that is invalid', () => {
    expect(interpret('retry bentham not-a-study zero', config)).toEqual({
      kind: 'form',
      service: 'bentham',
      action: 'retry',
      prefill: { study: 'not-a-study', limit: 'zero' },
      errors: { study: 'Must match ^study_[a-z0-9]+$.', limit: 'Must be a whole number.' },
    });
  });

  it('refuses a verb named like an Object.prototype member as a user error', () => {
    expect(failure('constructor bentham')).toBeInstanceOf(OpsError);
  });

  it('refuses a service named like an Object.prototype member as not found', () => {
    expect(failure('retry toString')).toBeInstanceOf(NotFoundError);
  });
});
