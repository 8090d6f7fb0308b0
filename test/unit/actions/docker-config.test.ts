import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue, parseOpsConfig } from '../../../src/config/load.js';

const TLS_ENV = { CA: 'ca-pem-text', CERT: 'cert-pem-text', KEY: 'key-pem-text-0123456789' };

/** ops.yml with one service: `compose` is its compose section's YAML (none when undefined), then `actions`. */
function configText(compose: string | undefined, actions: string): string {
  return [
    'workspace: { ops_channel: C0OPS }',
    'services:',
    '  ai-benchmark:',
    '    environment: production',
    ...(compose ? [`    compose: ${compose}`] : []),
    '    actions:',
    ...actions.split('\n').map((line) => `      ${line}`),
  ].join('\n');
}

const RESTART = 'restart-web: { kind: docker.restart, service: web, role: operator, risk: medium }';

function issuesOf(text: string): ConfigIssue[] {
  try {
    parseOpsConfig(text, TLS_ENV);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('the config was accepted');
}

describe('the compose section and docker.* entries in config check', () => {
  it('accepts DESIGN §11 entries without a summary, generating one, over a socket or TCP with TLS', () => {
    const actions = [
      RESTART,
      'scale-web: { kind: docker.scale, service: web, min: 1, max: 4, role: operator, risk: medium }',
      'vacuum: { kind: docker.exec, service: postgres, command: ["psql", "-U", "benchmark_user", "-d", "benchmark_db", "-c", "VACUUM ANALYZE"], role: operator, risk: low }',
    ].join('\n');
    for (const compose of [
      '{ project: ai-benchmark, docker: { socket: /var/run/docker.sock } }',
      '{ project: ai-benchmark, docker: { host: "tcp://docker.internal:2376", tls: { ca: "${CA}", cert: "${CERT}", key: "${KEY}" } } }',
      '{ project: ai-benchmark, docker: { host: "tcp://127.0.0.1:2375" } }',
    ]) {
      const config = parseOpsConfig(configText(compose, actions), TLS_ENV);
      const parsed = config.services['ai-benchmark']?.actions;
      expect(parsed?.['restart-web']?.summary).toBe('Restart the web compose service');
      expect(parsed?.['scale-web']?.summary).toBe(
        'Set how many containers the web compose service runs (1 to 4)',
      );
      expect(parsed?.vacuum?.summary).toBe(
        "Run psql -U benchmark_user -d benchmark_db -c 'VACUUM ANALYZE' in the postgres compose service",
      );
    }
  });

  it('refuses a Docker Engine over plain TCP that is not loopback', () => {
    const issues = issuesOf(
      configText('{ project: ai-benchmark, docker: { host: "tcp://docker.internal:2375" } }', RESTART),
    );
    expect(issues).toContainEqual(
      expect.objectContaining({
        path: 'services.ai-benchmark.compose.docker.tls',
        message:
          'is required: the Docker Engine API gives root on its host, so opsbot reaches it over TCP only with TLS (ca, cert, key), or over a Unix socket or loopback',
      }),
    );
  });

  it('names a docker.* action without a compose section, a compose service not listed, and bad bounds', () => {
    expect(issuesOf(configText(undefined, RESTART))).toEqual([
      expect.objectContaining({
        path: 'services.ai-benchmark.actions.restart-web.kind',
        message: 'needs a compose section in its service (project, docker)',
      }),
    ]);
    const issues = issuesOf(
      configText(
        '{ project: ai-benchmark, services: [web, postgres] }',
        [
          'restart-redis: { kind: docker.restart, service: redis }',
          'scale-web: { kind: docker.scale, service: web, min: 4, max: 2 }',
        ].join('\n'),
      ),
    );
    expect(issues.map((issue) => [issue.path, issue.message])).toEqual([
      [
        'services.ai-benchmark.actions.restart-redis.service',
        "is not one of the compose section's services (web, postgres)",
      ],
      ['services.ai-benchmark.actions.scale-web.min', 'must not be above max (2)'],
    ]);
  });

  it("checks a docker.exec's argv template: undeclared params and shell syntax", () => {
    const issues = issuesOf(
      configText(
        '{ project: ai-benchmark }',
        [
          'size:',
          '  kind: docker.exec',
          '  service: postgres',
          '  command: ["psql", "-d", "{db}", "|", "gzip"]',
        ].join('\n'),
      ),
    );
    expect(issues.map((issue) => issue.path)).toEqual([
      'services.ai-benchmark.actions.size.command',
      'services.ai-benchmark.actions.size.command[3]',
    ]);
    expect(issues[0]?.message).toBe("uses {db}, which is not one of the action's params");
  });
});
