import { describe, expect, it } from 'vitest';
import { ConfigError, parseOpsConfig } from '../../../src/config/load.js';

/** ops.yml with these incidents lines (YAML flow, indented under `incidents:`). */
function config(incidents: string): string {
  return `workspace: { ops_channel: C0OPS }\nincidents:\n${incidents}\n`;
}

function problems(text: string): string[] {
  try {
    parseOpsConfig(text, {});
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  return [];
}

describe('incidents.escalation in ops.yml', () => {
  it("reads DESIGN §11's shape: from declaration by default, from previous, by severity, paging a policy", () => {
    const parsed = parseOpsConfig(
      config(`  escalation:
    - { after: 30m, to: S0DEVOPS }
    - { after: 90m, from: previous, to: S0ARCH, page: { escalation_policy: PESC0A1 } }
    - { severities: [SEV1, SEV2], after: 0m, to: S0DBA }`),
      {},
    );
    expect(parsed.incidents.escalation).toEqual([
      { after: 1_800_000, from: 'declaration', to: 'S0DEVOPS' },
      { after: 5_400_000, from: 'previous', to: 'S0ARCH', page: { escalation_policy: 'PESC0A1' } },
      { severities: ['SEV1', 'SEV2'], after: 0, from: 'declaration', to: 'S0DBA' },
    ]);
  });

  it("writes Bentham's contacts by severity (runbook 001: DBA for SEV1/SEV2, Product for SEV1)", () => {
    const parsed = parseOpsConfig(
      config(`  escalation:
    - { severities: [SEV1, SEV2], after: 0m, to: S0DBA }
    - { severities: [SEV1], after: 0m, to: S0PRODUCT }`),
      {},
    );
    expect(parsed.incidents.escalation.map((step) => [step.to, step.severities])).toEqual([
      ['S0DBA', ['SEV1', 'SEV2']],
      ['S0PRODUCT', ['SEV1']],
    ]);
  });

  it('refuses a severity that is not one of incidents.severities, at its line', () => {
    const text = config(`  severities: { SEV1: { description: Outage }, SEV2: { description: Degraded } }
  escalation:
    - { severities: [SEV1, SEV5], after: 0m, to: S0DBA }`);
    expect(problems(text)).toEqual([
      'incidents.escalation[0].severities[1]: is not one of incidents.severities (SEV1, SEV2)',
    ]);
  });

  it('refuses an unknown `from`, a policy that is not a PagerDuty id, and unknown keys', () => {
    const text = config(`  escalation:
    - { after: 30m, from: resolution, to: S0DBA }
    - { after: 30m, to: S0DBA, page: { escalation_policy: dba-team } }
    - { after: 30m, to: S0DBA, page: { escalation_policy: PESC0A1, level: 2 } }`);
    const found = problems(text);
    expect(found).toHaveLength(3);
    expect(found[0]).toMatch(/^incidents\.escalation\[0\]\.from: /);
    expect(found[1]).toBe(
      'incidents.escalation[1].page.escalation_policy: must be a PagerDuty escalation policy ID such as PESC0A1',
    );
    expect(found[2]).toBe('incidents.escalation[2].page.level: is not a known key');
  });

  it('a step that pages loads without PAGERDUTY_TOKEN (the page is then refused in the incident channel)', () => {
    const text = config(`  escalation:
    - { after: 30m, to: S0DBA, page: { escalation_policy: PESC0A1 } }`);
    expect(problems(text)).toEqual([]);
  });
});
