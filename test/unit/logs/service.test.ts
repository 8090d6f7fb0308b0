import { describe, expect, it } from 'vitest';
import type { Denial } from '../../../src/auth/authorizer.js';
import type { ActorRoles } from '../../../src/auth/roles.js';
import { parseOpsConfig } from '../../../src/config/load.js';
import { ForbiddenError } from '../../../src/errors.js';
import { Redactor } from '../../../src/exec/redactor.js';
import type { LogLine, LogWindow } from '../../../src/logs/log-lines.js';
import { FILTERED_READ, LogsService, MAX_LINE_CHARS } from '../../../src/logs/service.js';
import type { DockerTarget } from '../../../src/targets/docker.js';
import type { KubernetesTarget } from '../../../src/targets/kubernetes.js';

// Bentham (runbook 001) on Kubernetes in bentham-prod; AI Benchmark (runbook 003) on Compose, project
// ai-benchmark, whose runbook names the compose services web and postgres.
const config = parseOpsConfig(
  `
workspace: { ops_channel: C0OPS }
services:
  bentham:
    environment: production
    kubernetes: { context: prod, namespace: bentham-prod, deployments: [api-gateway, orchestrator, executor] }
    logs: { role: responder }
  ai-benchmark:
    environment: production
    compose: { project: ai-benchmark, services: [web, postgres] }
  any-compose:
    environment: staging
    compose: { project: ai-benchmark }
  database-only:
    environment: staging
`,
  {},
);

const roles: Record<string, ActorRoles> = {
  U0RESPONDER: { services: { bentham: { role: 'responder', source: 'ops.yml' } } },
  U0VIEWER: { global: { role: 'viewer', source: 'everyone' }, services: {} },
};

/** A LogsService over fake readers that record what they were asked and answer `lines`. */
function service(lines: LogLine[] = []) {
  const asked: { kind: string; name: string; window: LogWindow }[] = [];
  const denials: Denial[] = [];
  const logs = new LogsService({
    config,
    rolesOf: async (user) => roles[user] ?? { services: {} },
    auditDenial: async (entry) => {
      denials.push(entry);
    },
    kubernetes: { target: () => ({ namespace: 'bentham-prod' }) as KubernetesTarget },
    docker: { target: () => ({ project: 'ai-benchmark' }) as DockerTarget },
    readers: {
      kubernetes: async (_target, name, window) => {
        asked.push({ kind: 'kubernetes', name, window });
        return lines;
      },
      compose: async (_target, name, window) => {
        asked.push({ kind: 'compose', name, window });
        return lines;
      },
    },
    redactor: new Redactor(['s3cret-db-password']),
  });
  return { logs, asked, denials };
}

const request = { actor: 'U0RESPONDER', sinceMs: 15 * 60_000, tail: 100, filter: {} };

describe('LogsService', () => {
  it("reads a deployment's logs for the last `since`, the last `tail` of each container", async () => {
    const { logs, asked } = service([{ at: new Date(1), source: 'p/c', text: 'x' }]);
    const result = await logs.read({ ...request, service: 'bentham', name: 'executor' });
    expect(asked).toEqual([
      { kind: 'kubernetes', name: 'executor', window: { sinceSeconds: 900, tail: 100 } },
    ]);
    expect(result).toMatchObject({ from: 'deployment executor in bentham-prod', read: 1, containers: 1 });
  });

  it('reads more of each container when a filter is given, and shows the last `tail` matching', async () => {
    const lines = Array.from({ length: 10 }, (_, i) => ({
      at: new Date(i * 1000),
      source: `api-gateway-${i % 2}/api-gateway`,
      text: `{"level":${i < 5 ? 30 : 50},"msg":"m${i}"}`,
    }));
    const { logs, asked } = service(lines);
    const result = await logs.read({
      ...request,
      service: 'bentham',
      name: 'api-gateway',
      tail: 3,
      filter: { level: 'error' },
    });
    expect(asked[0]?.window.tail).toBe(FILTERED_READ);
    expect(result.lines.map((line) => line.text)).toEqual([
      '{"level":50,"msg":"m7"}',
      '{"level":50,"msg":"m8"}',
      '{"level":50,"msg":"m9"}',
    ]);
    expect(result).toMatchObject({ read: 10, matched: 5, containers: 2 });
  });

  it('redacts every line before it filters or cuts, so grep cannot find a secret', async () => {
    const secretLine = `connecting to postgres://bentham:s3cret-db-password@db/bentham ${'x'.repeat(MAX_LINE_CHARS)}`;
    const lines = [
      { at: undefined, source: 'p/c', text: secretLine },
      { at: undefined, source: 'p/c', text: 'token xoxb-1234567890-abcdefghij' },
    ];
    const { logs } = service(lines);
    const all = await logs.read({ ...request, service: 'bentham', name: 'executor' });
    const shown = all.lines.map((line) => line.text).join('\n');
    expect(shown).not.toContain('s3cret');
    expect(shown).not.toContain('xoxb-1234567890');
    expect(shown).toContain('[redacted]');
    expect(all.lines[0]?.text).toHaveLength(MAX_LINE_CHARS);
    const probe = await logs.read({
      ...request,
      service: 'bentham',
      name: 'executor',
      filter: { grep: 's3cret' },
    });
    expect(probe.lines).toEqual([]);
  });

  it('repeats a grep holding a secret redacted, so the answer and the file comment never post it', async () => {
    const { logs } = service([{ at: undefined, source: 'p/c', text: 'nothing to see' }]);
    const result = await logs.read({
      ...request,
      service: 'bentham',
      name: 'executor',
      filter: { grep: 'xoxb-1234567890-abcdefghij', level: 'error' },
    });
    expect(result.filter).toEqual({ grep: '[redacted]', level: 'error' });
  });

  it("refuses, and audits, a role below the service's logs.role, before reading anything", async () => {
    const { logs, asked, denials } = service();
    const read = logs.read({ ...request, actor: 'U0VIEWER', service: 'bentham', name: 'executor' });
    await expect(read).rejects.toThrow(
      new ForbiddenError('`logs` on bentham needs responder; <@U0VIEWER> is viewer (everyone).'),
    );
    expect(asked).toEqual([]);
    expect(denials).toEqual([
      {
        actor: 'U0VIEWER',
        service: 'bentham',
        action: 'logs',
        detail: { checkpoint: 'request', reason: expect.stringContaining('needs responder') },
      },
    ]);
  });

  it('reads a listed compose service, or any Compose name when none are listed', async () => {
    const { logs, asked } = service();
    const listed = await logs.read({ ...request, actor: 'U0VIEWER', service: 'ai-benchmark', name: 'web' });
    expect(listed.from).toBe('compose service web of ai-benchmark');
    await logs.read({ ...request, actor: 'U0VIEWER', service: 'any-compose', name: 'worker' });
    expect(asked.map(({ kind, name }) => `${kind} ${name}`)).toEqual(['compose web', 'compose worker']);
  });

  it('refuses anything else in one sentence saying what it may be, before reading anything', async () => {
    const { logs, asked } = service();
    const refusal = (service: string, name: string, actor = 'U0VIEWER') =>
      logs.read({ ...request, actor, service, name }).then(
        () => 'read',
        (error: Error) => `${error.constructor.name}: ${error.message}`,
      );
    expect(await refusal('nope', 'web')).toBe('NotFoundError: There is no service called nope.');
    expect(await refusal('bentham', 'redis', 'U0RESPONDER')).toBe(
      'NotFoundError: bentham has no deployment called `redis`; its deployments are api-gateway, orchestrator ' +
        'and executor.',
    );
    expect(await refusal('ai-benchmark', 'worker')).toBe(
      'NotFoundError: ai-benchmark has no compose service called `worker`; its compose services are web and ' +
        'postgres.',
    );
    expect(await refusal('any-compose', 'Web!')).toBe(
      'NotFoundError: any-compose has no compose service called `Web!`; name a compose service of project ' +
        'ai-benchmark (lower-case letters, digits, - _ .).',
    );
    expect(await refusal('database-only', 'web')).toBe(
      'NotFoundError: database-only has no kubernetes or compose section in ops.yml, so it has no logs to read.',
    );
    expect(asked).toEqual([]);
  });
});
