import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseOpsConfig } from '../../../src/config/load.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ENV = { BENTHAM_DATABASE_URL: 'postgres://opsbot:Pa55word@db.internal:5432/bentham' };

/**
 * Bentham with a runbook `sev1` (and a second runbook, `other`), the rest as in examples/bentham.ops.yml:
 * checks api and database, the failed-jobs lookup, restart (medium) and rollback (high). `steps` are the
 * runbook's step lines; `extra` more lines of the runbook's entry.
 */
function configText(steps: string[], extra: string[] = []): string {
  return [
    'workspace: { ops_channel: C0OPS }',
    'roles:',
    '  operator: { users: [U0ALICE] }',
    'services:',
    '  bentham:',
    '    environment: production',
    '    databases:',
    '      main: { url: "${BENTHAM_DATABASE_URL}" }',
    '    kubernetes: { context: prod, namespace: bentham-prod, deployments: [api-gateway] }',
    '    health:',
    '      - { name: api, url: "https://api.bentham.example/v1/health" }',
    '      - { name: database, database: main, query: "SELECT 1" }',
    '    lookups:',
    '      failed-jobs:',
    '        summary: The failed jobs of a study',
    '        database: main',
    '        params: { study: { type: string, pattern: "^study_[a-z0-9]+$" } }',
    "        query: SELECT id, error_message FROM jobs WHERE study_id = :study AND status = 'failed'",
    '    actions:',
    '      restart: { kind: k8s.restart, summary: Restart, deployment: api-gateway, role: operator, risk: medium }',
    '      rollback: { kind: k8s.rollback, summary: Roll back, deployment: api-gateway, role: operator, risk: high }',
    '      other: { kind: runbook, summary: Another runbook, steps: [{ name: api, check: api }] }',
    '      sev1:',
    '        kind: runbook',
    '        summary: SEV1 first response',
    ...extra.map((line) => `        ${line}`),
    '        steps:',
    ...steps.map((line) => `          - ${line}`),
  ].join('\n');
}

/** The problems config check finds, as `path (line n): message`; fails the test if the config is accepted. */
function problemsOf(text: string): string[] {
  try {
    parseOpsConfig(text, ENV);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map(
      (issue) => `${issue.path} (line ${issue.line}): ${issue.message}`,
    );
  }
  throw new Error('the config was accepted');
}

/** The 1-based line of the `n`th step (0-based) in configText's output. */
function stepLine(text: string, n: number): number {
  return text.split('\n').findIndex((line) => line.includes('        steps:')) + 2 + n;
}

const AT = 'services.bentham.actions.sev1';

describe('config check on runbooks', () => {
  it('accepts steps that name what the service has, look back, and jump forward', () => {
    const config = parseOpsConfig(
      configText([
        '{ name: api, check: api }',
        '{ name: jobs, lookup: failed-jobs, with: { study: study_abc123 } }',
        '{ name: restart, action: restart, when: { step: api, level: [warning, critical] }, on_failure: undo }',
        '{ name: settle, wait: { until: api, timeout: 5m } }',
        '{ name: undo, action: rollback, when: { step: settle, level: critical } }',
        '{ name: ask, ask: { text: "Page the DBA?" }, on_failure: continue }',
        '{ name: page, escalate: { to: S0DBA }, when: { step: ask, choice: yes } }',
      ]),
      ENV,
    );
    const sev1 = config.services.bentham?.actions.sev1;
    expect(sev1?.kind).toBe('runbook');
    expect(sev1?.kind === 'runbook' && sev1.steps.map((step) => step.type)).toEqual([
      'check',
      'lookup',
      'action',
      'wait',
      'action',
      'ask',
      'escalate',
    ]);
  });

  it('names a step whose action, lookup, health check or wait-until check the service lacks, with what it has', () => {
    const text = configText([
      '{ name: pods, lookup: pods }',
      '{ name: api, check: gateway }',
      '{ name: restart, action: restart-api }',
      '{ name: settle, wait: { until: gateway, timeout: 5m } }',
    ]);
    const line = (n: number) => stepLine(text, n);
    expect(problemsOf(text)).toEqual([
      `${AT}.steps[0].lookup (line ${line(0)}): names lookup pods, which this service does not have (lookups: failed-jobs)`,
      `${AT}.steps[1].check (line ${line(1)}): names health check gateway, which this service does not have (health checks: api, database)`,
      `${AT}.steps[2].action (line ${line(2)}): names action restart-api, which this service does not have (actions: restart, rollback)`,
      `${AT}.steps[3].wait.until (line ${line(3)}): names health check gateway, which this service does not have (health checks: api, database)`,
    ]);
  });

  it('refuses a when: on a later step, on the step itself, or on no step: a condition looks only back', () => {
    const text = configText([
      '{ name: restart, action: restart, when: { step: api, level: critical } }',
      '{ name: api, check: api, when: { step: api, level: ok } }',
      '{ name: undo, action: rollback, when: { step: setle, level: critical } }',
    ]);
    const line = (n: number) => stepLine(text, n);
    expect(problemsOf(text)).toEqual([
      `${AT}.steps[0].when.step (line ${line(0)}): names api, a later step; a condition can only look at an earlier step`,
      `${AT}.steps[1].when.step (line ${line(1)}): names api, this step itself; a condition can only look at an earlier step`,
      `${AT}.steps[2].when.step (line ${line(2)}): names setle, which is not a step of this runbook`,
    ]);
  });

  it('refuses an on_failure that goes back (a cycle), to the step itself, or to no step', () => {
    const text = configText([
      '{ name: api, check: api }',
      '{ name: restart, action: restart, on_failure: api }',
      '{ name: settle, wait: { until: api, timeout: 5m }, on_failure: settle }',
      '{ name: undo, action: rollback, on_failure: escalate }',
    ]);
    const line = (n: number) => stepLine(text, n);
    expect(problemsOf(text)).toEqual([
      `${AT}.steps[1].on_failure (line ${line(1)}): goes back to an earlier step (api); on_failure can only jump to a later step, so that no step runs twice`,
      `${AT}.steps[2].on_failure (line ${line(2)}): goes to this step itself (settle); on_failure can only jump to a later step, so that no step runs twice`,
      `${AT}.steps[3].on_failure (line ${line(3)}): names escalate, which is not a step of this runbook; on_failure is stop, continue or a later step's name`,
    ]);
  });

  it('refuses a step that starts another runbook, or its own', () => {
    const text = configText(['{ name: first, action: other }', '{ name: again, action: sev1 }']);
    const line = (n: number) => stepLine(text, n);
    expect(problemsOf(text)).toEqual([
      `${AT}.steps[0].action (line ${line(0)}): names other, a runbook; a step cannot start another runbook (actions a step may run: restart, rollback)`,
      `${AT}.steps[1].action (line ${line(1)}): names sev1, a runbook; a step cannot start another runbook (actions a step may run: restart, rollback)`,
    ]);
  });

  it('refuses a step with two types, with none, or with a key its type does not have', () => {
    const text = configText([
      '{ name: api, check: api, action: restart }',
      '{ name: nothing }',
      '{ name: settle, check: api, timeout: 5m }',
    ]);
    const line = (n: number) => stepLine(text, n);
    expect(problemsOf(text)).toEqual([
      `${AT}.steps[0] (line ${line(0)}): has action and check; a step does one thing`,
      `${AT}.steps[1] (line ${line(1)}): needs one of action, lookup, check, wait, ask, message, declare, escalate: what the step does`,
      `${AT}.steps[2].timeout (line ${line(2)}): is not a known key`,
    ]);
  });

  it('refuses two steps of the same name, at the second', () => {
    const text = configText(['{ name: api, check: api }', '{ name: api, check: database }']);
    expect(problemsOf(text)).toEqual([
      `${AT}.steps[1].name (line ${stepLine(text, 1)}): api is also the name of an earlier step; each step needs a name of its own`,
    ]);
  });

  it('refuses a risk: on a runbook: it is worked out from its action steps', () => {
    const text = configText(['{ name: restart, action: restart }'], ['risk: low']);
    const line = text.split('\n').findIndex((each) => each.includes('risk: low')) + 1;
    expect(problemsOf(text)).toEqual([
      `${AT}.risk (line ${line}): is worked out for a runbook (its riskiest action step's risk); remove it`,
    ]);
  });

  it('opsbot config check prints each problem with its YAML path and line, and exits 1', async () => {
    const text = configText([
      '{ name: api, check: api }',
      '{ name: undo, action: rollback, when: { step: settle, level: critical } }',
      '{ name: settle, wait: { until: gateway, timeout: 5m }, on_failure: api }',
    ]);
    const dir = await mkdtemp(join(tmpdir(), 'opsbot-runbook-check-'));
    const file = join(dir, 'ops.yml');
    await writeFile(file, text);
    try {
      const run = promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'src/cli.ts', 'config', 'check'],
        {
          cwd: ROOT,
          env: { ...process.env, ...ENV, OPSBOT_CONFIG: file },
        },
      );
      const failed = (await run.then(
        () => expect.unreachable('config check accepted the file'),
        (error: unknown) => error,
      )) as { code: number; stderr: string };
      expect(failed.code).toBe(1);
      const line = (n: number) => stepLine(text, n);
      expect(failed.stderr.trim().split('\n')).toEqual([
        `${file} has 3 problems:`,
        `  - ${AT}.steps[1].when.step (line ${line(1)}): names settle, a later step; a condition can only look at an earlier step`,
        `  - ${AT}.steps[2].wait.until (line ${line(2)}): names health check gateway, which this service does not have (health checks: api, database)`,
        `  - ${AT}.steps[2].on_failure (line ${line(2)}): goes back to an earlier step (api); on_failure can only jump to a later step, so that no step runs twice`,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
