import { describe, expect, it } from 'vitest';
import { riskOf } from '../../../src/actions/catalog.js';
import type { ActionConfig } from '../../../src/actions/registry.js';
import { runbookKind } from '../../../src/actions/runbook.js';
import type { Risk } from '../../../src/actions/types.js';
import { parseOpsConfig } from '../../../src/config/load.js';
import { actionHelpText, actionLines } from '../../../src/slack/views/help-text.js';

/** Bentham's restart (medium), rollback (high) and analyze (low), a check and a lookup, and four runbooks. */
const config = parseOpsConfig(
  `
workspace: { ops_channel: C0OPS }
roles:
  operator: { users: [U0ALICE] }
services:
  bentham:
    environment: production
    databases:
      main: { url: "\${BENTHAM_DATABASE_URL}" }
    kubernetes: { context: prod, namespace: bentham-prod, deployments: [api-gateway] }
    health:
      - { name: api, url: "https://api.bentham.example/v1/health" }
    lookups:
      bloat: { summary: Dead tuples, database: main, query: "SELECT relname, n_dead_tup FROM pg_stat_user_tables" }
    actions:
      restart: { kind: k8s.restart, summary: Restart, deployment: api-gateway, role: operator, risk: medium }
      rollback: { kind: k8s.rollback, summary: Roll back, deployment: api-gateway, role: operator, risk: high }
      analyze: { kind: maintenance, summary: ANALYZE, database: main, operation: analyze, tables: [jobs], role: operator, risk: low }
      sev1-response:
        kind: runbook
        summary: SEV1 first response
        role: operator
        steps:
          - { name: api, check: api }
          - { name: restart, action: restart, when: { step: api, level: critical } }
          - { name: settle, wait: { until: api, timeout: 5m }, on_failure: undo }
          - { name: undo, action: rollback, when: { step: settle, level: critical } }
      first-look:
        kind: runbook
        summary: Look, restart if needed
        role: operator
        steps:
          - { name: api, check: api }
          - { name: restart, action: restart, when: { step: api, level: critical } }
          - { name: analyze, action: analyze }
      weekly:
        kind: runbook
        summary: Weekly maintenance
        role: operator
        steps: [{ name: bloat, lookup: bloat }, { name: analyze, action: analyze }]
      read-only:
        kind: runbook
        summary: Only looks
        role: operator
        steps:
          - { name: api, check: api }
          - { name: bloat, lookup: bloat }
          - { name: pause, wait: { for: 1m } }
          - { name: ask, ask: { text: "Page the DBA?" } }
          - { name: page, escalate: { to: S0DBA }, when: { step: ask, choice: yes } }
`,
  { BENTHAM_DATABASE_URL: 'postgres://opsbot:Pa55word@db.internal:5432/bentham' },
);

function action(name: string): ActionConfig {
  const found = config.services.bentham?.actions[name];
  if (!found) throw new Error(`no action ${name}`);
  return found;
}

describe("a runbook's risk: its riskiest action step's", () => {
  it('is worked out from the service’s actions, whatever the runbook’s conditions', () => {
    expect(riskOf(config, 'bentham', action('sev1-response'))).toBe('high');
    expect(riskOf(config, 'bentham', action('first-look'))).toBe('medium');
    expect(riskOf(config, 'bentham', action('weekly'))).toBe('low');
  });

  it('is low with no action steps: checks, lookups, waits, questions and escalations change nothing', () => {
    expect(riskOf(config, 'bentham', action('read-only'))).toBe('low');
  });

  it('leaves every other kind its own risk', () => {
    expect(riskOf(config, 'bentham', action('rollback'))).toBe('high');
    expect(riskOf(config, 'bentham', action('analyze'))).toBe('low');
  });

  it('counts a step naming no action, or a runbook, as low (config check refuses both)', () => {
    const sev1 = action('sev1-response');
    if (sev1.kind !== 'runbook') throw new Error('sev1-response is a runbook');
    const known: Record<string, Risk | undefined> = { restart: 'medium', rollback: undefined };
    expect(runbookKind.risk?.(sev1, (name) => known[name])).toBe('medium');
    expect(runbookKind.risk?.(sev1, () => undefined)).toBe('low');
  });
});

describe('/ops help shows a runbook with its computed risk', () => {
  const entry = (name: string) => ({ service: 'bentham', action: name, config: action(name) });

  it('in the list and in help <action>', () => {
    expect(actionLines([entry('sev1-response'), entry('first-look'), entry('read-only')], config)).toEqual([
      '• `/ops sev1-response bentham` — SEV1 first response _(operator, high risk)_',
      '• `/ops first-look bentham` — Look, restart if needed _(operator, medium risk)_',
      '• `/ops read-only bentham` — Only looks _(operator, low risk)_',
    ]);
    expect(actionHelpText('sev1-response', [entry('sev1-response')], config)).toMatch(
      /^• `\/ops sev1-response bentham` — SEV1 first response _\(operator, high risk\)_\n {4}runbook: Runs a procedure step by step/,
    );
  });
});
