import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue, formatIssues, parseOpsConfig } from '../../../src/config/load.js';

const SECRET_URL = 'postgres://opsbot:S3cr3t-Pa55word@db.internal:5432/bentham';
const env = { BENTHAM_DATABASE_URL: SECRET_URL };

const VALID = `
workspace:
  ops_channel: C0OPS
roles:
  admin: { users: [U0ADMIN] }
  operator: { users: [U0ALICE], groups: [S0SRE] }
  viewer: { everyone: true }
channels:
  allow: [C0OPS]
services:
  bentham:
    environment: production
    databases:
      main: { url: "\${BENTHAM_DATABASE_URL}" }
    health:
      - { name: api, url: "https://api.bentham.example/health" }
    actions:
      retry:
        kind: sql
        summary: Retry the failed jobs of a study
        database: main
        params:
          study: { type: string, pattern: "^study_[a-z0-9]+$" }
        preview: SELECT id FROM jobs WHERE study_id = :study AND status = 'failed'
        run: UPDATE jobs SET status = 'pending' WHERE study_id = :study AND status = 'failed'
        idempotent: true
        timeout: 10s
        role: operator
        risk: medium
`;

/** The issues a config is refused with; fails the test if it is accepted or refused some other way. */
function issuesOf(text: string, environment: NodeJS.ProcessEnv = env): ConfigIssue[] {
  try {
    parseOpsConfig(text, environment, 'test.ops.yml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.file).toBe('test.ops.yml');
    expect(configError.message).not.toContain('S3cr3t');
    for (const issue of configError.issues) expect(issue.message).not.toContain('S3cr3t');
    return configError.issues;
  }
  throw new Error('the config was accepted');
}

/** The 1-based line of the first line of `text` that contains `needle`. */
function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  expect(index).toBeGreaterThanOrEqual(0);
  return index + 1;
}

describe('parseOpsConfig: a valid config', () => {
  it('parses, resolving ${ENV} references and filling defaults', () => {
    const config = parseOpsConfig(VALID, env);
    expect(config.workspace).toEqual({
      ops_channel: 'C0OPS',
      timezone: 'UTC',
      requests_per_minute: 20,
      reads_per_minute: 60,
      health_probe_every: 60_000,
    });
    expect(config.roles.operator).toEqual({ users: ['U0ALICE'], groups: ['S0SRE'], everyone: false });
    expect(config.channels.allow).toEqual(['C0OPS']);
    const bentham = config.services.bentham;
    expect(bentham?.databases.main?.url).toBe(SECRET_URL);
    const retry = bentham?.actions.retry;
    expect(retry).toMatchObject({
      kind: 'sql',
      database: 'main',
      idempotent: true,
      timeout: 10_000,
      role: 'operator',
    });
    expect(retry?.params.study).toMatchObject({ type: 'string', max_length: 200, optional: false });
  });

  it('accepts an empty services map and defaults optional sections', () => {
    const config = parseOpsConfig('workspace: { ops_channel: C0OPS, timezone: Europe/London }', {});
    expect(config).toEqual({
      workspace: {
        ops_channel: 'C0OPS',
        timezone: 'Europe/London',
        requests_per_minute: 20,
        reads_per_minute: 60,
        health_probe_every: 60_000,
      },
      roles: {},
      channels: { allow: [] },
      incidents: {
        channel_prefix: 'inc',
        status_update_every: 1_800_000,
        escalation: [],
        severities: {
          SEV1: { description: 'Complete outage' },
          SEV2: { description: 'Major degradation' },
          SEV3: { description: 'Minor degradation' },
          SEV4: { description: 'Low impact' },
        },
      },
      services: {},
    });
  });

  it('accepts a database password given as an ${ENV} reference inside the URL', () => {
    const text = VALID.replace(
      '"${BENTHAM_DATABASE_URL}"',
      '"postgres://opsbot:${DB_PASSWORD}@db.internal/bentham"',
    );
    const config = parseOpsConfig(text, { DB_PASSWORD: 'pw123' });
    expect(config.services.bentham?.databases.main?.url).toBe('postgres://opsbot:pw123@db.internal/bentham');
  });

  it('accepts plain HTTP health checks to localhost on production, and to anywhere off production', () => {
    const local = VALID.replace('https://api.bentham.example/health', 'http://localhost:8080/health');
    expect(parseOpsConfig(local, env).services.bentham?.health[0]).toMatchObject({
      url: 'http://localhost:8080/health',
    });
    const staging = VALID.replace(
      'https://api.bentham.example/health',
      'http://api.bentham.example/health',
    ).replace('environment: production', 'environment: staging');
    expect(parseOpsConfig(staging, env).services.bentham?.environment).toBe('staging');
  });
});

describe('parseOpsConfig: a broken config', () => {
  const BROKEN = `workspace:
  ops_channel: C0OPS
  colour: blue
roles:
  superuser: { users: [U0ALICE] }
services:
  bentham:
    environment: production
    databases:
      main: { url: "\${BENTHAM_DATABASE_URL}" }
      replica: { url: "postgres://opsbot:hunter2@replica.internal/bentham" }
      archive: { url: "postgres://opsbot:changeme@archive.internal/bentham" }
      reports: { url: "\${REPORTS_DATABASE_URL}" }
    health:
      - { name: api, url: "http://api.bentham.example/health" }
    actions:
      retry:
        kind: sql
        summary: Retry the failed jobs of a study
        database: warehouse
        params:
          study: { type: string }
        run: UPDATE jobs SET status = 'pending' WHERE study_id = :study AND owner = :owner
      help:
        summary: Shadows the built-in verb
        kind: sql
        database: main
        run: SELECT 1
`;

  const issues = issuesOf(BROKEN);
  const find = (path: string, message: RegExp) =>
    issues.find((issue) => issue.path === path && message.test(issue.message));

  it('reports an unknown key at its own path and line', () => {
    const issue = find('workspace.colour', /is not a known key/);
    expect(issue).toBeDefined();
    expect(issue?.line).toBe(lineOf(BROKEN, 'colour: blue'));
  });

  it.each([
    ['roles.superuser', /is not a known key/, 'superuser:'],
    ['services.bentham.databases.replica.url', /literal password/, 'replica:'],
    ['services.bentham.databases.archive.url', /placeholder/, 'archive:'],
    ['services.bentham.databases.reports.url', /\$\{REPORTS_DATABASE_URL\}, which is not set/, 'reports:'],
    ['services.bentham.health[0].url', /plain HTTP on a production service/, 'name: api'],
    ['services.bentham.actions.retry.database', /names no database of this service/, 'database: warehouse'],
    ['services.bentham.actions.retry.run', /uses :owner, which is not a declared param/, 'run: UPDATE'],
    ['services.bentham.actions.help', /built-in \/ops verb/, 'summary: Shadows'],
  ])('reports %s with its line', (path, message, lineText) => {
    const issue = find(path, message);
    expect(issue, `no issue at ${path} matching ${message}`).toBeDefined();
    expect(issue?.line).toBe(lineOf(BROKEN, lineText));
  });

  it('lists the configured databases when an action names another', () => {
    expect(find('services.bentham.actions.retry.database', /./)?.message).toContain(
      'configured: main, replica, archive, reports',
    );
  });

  it('never reports a problem for a declared param', () => {
    expect(issues.some((issue) => issue.message.includes(':study'))).toBe(false);
  });

  it('counts every problem in the error message, one line each with path and line', () => {
    const error = (() => {
      try {
        parseOpsConfig(BROKEN, env, 'broken.yml');
      } catch (caught) {
        return caught as ConfigError;
      }
      throw new Error('accepted');
    })();
    expect(error.message.split('\n')[0]).toBe(`broken.yml has ${error.issues.length} problems:`);
    expect(error.message.split('\n').slice(1)).toEqual(formatIssues(error.issues).split('\n'));
    expect(error.message).toContain(
      `  - services.bentham.actions.retry.database (line ${lineOf(BROKEN, 'database: warehouse')}): names no database`,
    );
  });

  it('never shows the value of a resolved env secret, even when that value is invalid', () => {
    const text = VALID.replace('summary: Retry the failed jobs of a study', 'summary: ""');
    const secret = 'mysql://opsbot:S3cr3t-Pa55word@db.internal/bentham';
    const found = issuesOf(text, { BENTHAM_DATABASE_URL: secret });
    expect(found.map((issue) => issue.path)).toEqual(
      expect.arrayContaining([
        'services.bentham.databases.main.url',
        'services.bentham.actions.retry.summary',
      ]),
    );
    expect(JSON.stringify(found)).not.toContain('S3cr3t');
    expect(JSON.stringify(found)).not.toContain('mysql://');
  });

  it('never shows a literal password found in the file', () => {
    expect(JSON.stringify(issues)).not.toContain('hunter2');
  });

  it('refuses a bad role grant by its path', () => {
    const found = issuesOf(VALID.replace('users: [U0ALICE]', 'users: [alice]'));
    expect(found).toEqual([
      {
        path: 'roles.operator.users[0]',
        line: lineOf(VALID, 'U0ALICE'),
        message: expect.stringMatching(/Slack user ID/),
      },
    ]);
  });

  it('treats an empty env value as unset', () => {
    const found = issuesOf(VALID, { BENTHAM_DATABASE_URL: '' });
    expect(found.some((issue) => /BENTHAM_DATABASE_URL\}, which is not set/.test(issue.message))).toBe(true);
  });

  it('reports invalid YAML syntax with its line', () => {
    const text = 'workspace:\n  ops_channel: C0OPS\nchannels: { allow: [C0OPS }\n';
    const found = issuesOf(text);
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]?.path).toBe('');
    expect(found[0]?.line).toBe(3);
  });

  it('reports a duplicate key as a YAML error', () => {
    const found = issuesOf('workspace: { ops_channel: C0OPS }\nworkspace: { ops_channel: C0OTHER }\n');
    expect(found).toEqual([{ path: '', line: 2, message: expect.stringMatching(/unique/) }]);
  });

  it('reports a missing workspace for an empty file', () => {
    expect(issuesOf('').map((issue) => issue.path)).toEqual(['workspace']);
  });

  it('still runs the action cross-checks when another field has the wrong type', () => {
    // zod stops refining an object once one of its fields is invalid; the cross-checks must not depend on that.
    const text = BROKEN.replace('environment: production', 'environment: prod');
    const paths = issuesOf(text).map((issue) => issue.path);
    expect(paths).toContain('services.bentham.environment');
    expect(paths).toContain('services.bentham.actions.retry.database');
    expect(paths).toContain('services.bentham.actions.retry.run');
    expect(paths).toContain('services.bentham.actions.help');
  });
});

describe('parseOpsConfig: checks after ${ENV} is resolved', () => {
  it('flags a plain-HTTP production health URL that comes from the environment', () => {
    const text = VALID.replace('"https://api.bentham.example/health"', '"${API_HEALTH_URL}"');
    const issues = issuesOf(text, { ...env, API_HEALTH_URL: 'http://api.bentham.example/health' });
    expect(issues.map((issue) => issue.path)).toEqual(['services.bentham.health[0].url']);
    expect(issues[0]?.message).toMatch(/plain HTTP on a production service/);
  });
});

describe('parseOpsConfig: secrets under any key', () => {
  it('refuses a literal value for a secret-named key, and accepts ${ENV} and param specs named like secrets', () => {
    const text = VALID.replace(
      '    databases:\n',
      '    backup_key: "c2VjcmV0LWtleQ=="\n    api_token: "Bearer ${API_TOKEN}"\n    databases:\n',
    )
      .replace('study: { type: string, pattern: "^study_[a-z0-9]+$" }', 'key: { type: string }')
      .replaceAll(':study', ':key');
    const lines = issuesOf(text, { ...env, API_TOKEN: 't' }).map((i) => `${i.path}: ${i.message}`);
    expect(lines).toContain(
      'services.bentham.backup_key: is a secret written in the file; write ${ENV_NAME} and set it in the environment',
    );
    expect(lines.filter((line) => line.includes('secret written'))).toHaveLength(1);
    expect(lines.filter((line) => line.includes('params'))).toEqual([]);
  });
});

describe('parseOpsConfig: health checks', () => {
  it('accepts SQL and Redis checks, refuses a SQL check on an unknown database and a literal Redis password', () => {
    const withChecks = (checks: string) =>
      VALID.replace('      - { name: api, url: "https://api.bentham.example/health" }\n', checks);
    const ok = withChecks(
      '      - { name: backlog, database: main, query: "SELECT 1", warning: { above: 10 } }\n      - { name: cache, redis: "${REDIS_URL}" }\n',
    );
    expect(
      parseOpsConfig(ok, { ...env, REDIS_URL: 'redis://127.0.0.1:6379' }).services.bentham?.health,
    ).toHaveLength(2);
    const lines = issuesOf(
      withChecks(
        '      - { name: backlog, database: replica, query: "SELECT 1" }\n      - { name: cache, redis: "redis://:hunter2@cache:6379" }\n',
      ),
    ).map((i) => `${i.path}: ${i.message}`);
    expect(lines).toContain(
      'services.bentham.health[0].database: names no database of this service (configured: main)',
    );
    expect(lines).toContain(
      'services.bentham.health[1].redis: holds a literal password; write the whole URL as ${ENV_NAME} and set it in the environment',
    );
    expect(lines.join('\n')).not.toContain('hunter2');
  });
});

describe('parseOpsConfig: action kinds', () => {
  it('names the known kinds when a kind is unknown or missing', () => {
    const text = VALID.replace('kind: sql', 'kind: k8s.drain').replace(
      '      retry:\n',
      '      other: { summary: No kind }\n      retry:\n',
    );
    const issues = issuesOf(text);
    const unknown = issues.find((i) => i.path === 'services.bentham.actions.retry.kind')?.message;
    const missing = issues.find((i) => i.path === 'services.bentham.actions.other.kind')?.message;
    expect(unknown).toMatch(/^is not an action kind opsbot knows \(known: sql(, [a-z0-9.-]+)+\)$/);
    expect(missing).toMatch(/^is required: one of sql(, [a-z0-9.-]+)+$/);
    expect(unknown).toContain('degraded-mode');
    expect(unknown).toContain('k8s.restart');
    expect(unknown).not.toContain('k8s.drain');
  });
});

describe('formatIssues', () => {
  it('writes (top level) for an empty path and leaves out an unknown line', () => {
    expect(
      formatIssues([
        { path: '', message: 'cannot read' },
        { path: 'a.b', line: 3, message: 'bad' },
      ]),
    ).toBe('  - (top level): cannot read\n  - a.b (line 3): bad');
  });
});
