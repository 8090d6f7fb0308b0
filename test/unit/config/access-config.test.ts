import { describe, expect, it } from 'vitest';
import { ConfigError, parseOpsConfig } from '../../../src/config/load.js';
import { onCallRules } from '../../../src/pagerduty/oncall-roles.js';

const config = (more: string) => `
workspace:
  ops_channel: C0OPS
${more}
services:
  bentham:
    environment: staging
  ledger:
    environment: staging
  quiet:
    environment: staging
`;

/** Every problem the loader reports, as `path: message`. */
function problems(text: string): string[] {
  try {
    parseOpsConfig(text, {});
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  expect.unreachable('the config was accepted');
}

describe('access and pagerduty.oncall_roles in ops.yml', () => {
  it('reads access: max per role in milliseconds, approvers (default none besides admins) and break-glass', () => {
    const parsed = parseOpsConfig(
      config(`access:
  max: { operator: 4h, admin: 1h }
  approvers: { groups: [S0LEADS] }
  break_glass: { role: operator, max: 30m, notify: C0SECURITY }`),
      {},
    );
    expect(parsed.access).toEqual({
      max: { operator: 14_400_000, admin: 3_600_000 },
      approvers: { users: [], groups: ['S0LEADS'] },
      break_glass: { role: 'operator', max: 1_800_000, notify: 'C0SECURITY' },
    });
    expect(parseOpsConfig(config('access: { max: { operator: 2h } }'), {}).access?.approvers).toEqual({
      users: [],
      groups: [],
    });
  });

  it('refuses what it cannot read in access, each at its path, and unknown keys', () => {
    expect(
      problems(
        config(`access:
  max: { operator: 2 days, owner: 1h, admin: 48h }
  approvers: { groups: [leads], teams: [S0X] }
  break_glass: { role: root, max: 8h, notify: security }
  expiry: 1h`),
      ),
    ).toEqual(
      expect.arrayContaining([
        'access.max.operator: must be a duration such as 30s, 5m or 2h',
        'access.max.owner: is not a valid name: must be a role: viewer, responder, operator, admin',
        'access.max.admin: must be between 1s and 24h (a longer grant belongs in ops.yml roles)',
        'access.approvers.groups[0]: must be a Slack user-group ID such as S0SRE',
        'access.approvers.teams: is not a known key',
        'access.break_glass.role: must be one of viewer, responder, operator, admin',
        'access.break_glass.max: must be between 1s and 4h',
        'access.break_glass.notify: must be a Slack channel ID such as C0OPS',
        'access.expiry: is not a known key',
      ]),
    );
  });

  it('reads oncall_roles per service with * for the rest of the mapped services, and oncall_cache', () => {
    const parsed = parseOpsConfig(
      config(`pagerduty:
  services: { PSVC0A1: bentham, PSVC0A2: bentham, PSVC0B1: ledger }
  oncall_roles: { bentham: { level: 1, role: operator }, "*": { level: 2, role: responder } }
  oncall_cache: 30s`),
      {},
    );
    expect(parsed.pagerduty?.oncall_cache).toBe(30_000);
    // quiet has no PagerDuty service, so nobody is on call for it and * gives it nothing.
    expect(onCallRules(parsed)).toEqual([
      { service: 'bentham', pagerDutyServices: ['PSVC0A1', 'PSVC0A2'], level: 1, role: 'operator' },
      { service: 'ledger', pagerDutyServices: ['PSVC0B1'], level: 2, role: 'responder' },
    ]);
  });

  it('refuses on-call roles for a service that is not there or has no PagerDuty service, and bad fields', () => {
    expect(
      problems(
        config(`pagerduty:
  services: { PSVC0A1: bentham }
  oncall_roles:
    benthm: { level: 1, role: operator }
    ledger: { level: 1, role: operator }
    bentham: { level: 0, role: boss, until: 9am }
  oncall_cache: 1h`),
      ),
    ).toEqual(
      expect.arrayContaining([
        'pagerduty.oncall_roles.benthm: names benthm, which is not a service here (services: bentham, ledger, quiet)',
        'pagerduty.oncall_roles.ledger: no PagerDuty service is mapped to ledger in pagerduty.services, so nobody is on call for it',
        'pagerduty.oncall_roles.bentham.level: must be 1 (first level) or more',
        'pagerduty.oncall_roles.bentham.role: must be one of viewer, responder, operator, admin',
        'pagerduty.oncall_roles.bentham.until: is not a known key',
        'pagerduty.oncall_cache: must be between 1s and 10m',
      ]),
    );
    expect(problems(config('pagerduty: { oncall_roles: { "*": { level: 1, role: operator } } }'))).toContain(
      'pagerduty.oncall_roles.*: applies to no service: pagerduty.services maps no PagerDuty service',
    );
  });

  it('refuses an action named after the new verbs', () => {
    expect(
      problems(`
workspace: { ops_channel: C0OPS }
services:
  bentham:
    environment: staging
    databases: { main: { url: "postgres://x@h/db" } }
    actions:
      elevate: { kind: sql, summary: s, database: main, run: "SELECT 1", role: operator, risk: low }
`),
    ).toContain('services.bentham.actions.elevate: is a built-in /ops verb; give the action another name');
  });
});
