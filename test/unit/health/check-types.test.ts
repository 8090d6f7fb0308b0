import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseOpsConfig } from '../../../src/config/load.js';
import { checkService } from '../../../src/health/check-service.js';
import { CounterWindows } from '../../support/memory-counter-windows.js';

/** ops.yml with one staging service (a `main` database) whose health checks are `checks` (YAML flow lines). */
function configWith(...checks: string[]): string {
  return `
workspace: { ops_channel: C0OPS }
services:
  web:
    environment: staging
    databases: { main: { url: "postgres://opsbot@db.internal/web" } }
    health:
${checks.map((check) => `      - ${check}`).join('\n')}
`;
}

function healthOf(...checks: string[]) {
  return parseOpsConfig(configWith(...checks), {}).services.web?.health ?? [];
}

function problems(...checks: string[]): string[] {
  try {
    parseOpsConfig(configWith(...checks), {});
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  return [];
}

const UNTYPED = [
  '{ name: api, url: "https://web.example/health" }',
  '{ name: backlog, database: main, query: "SELECT 1", warning: { above: 10 } }',
  '{ name: cache, redis: "redis://cache.internal:6379" }',
  '{ name: depth, metrics: "https://web.example/metrics", value: { metric: queue_depth } }',
];

describe('health check types in ops.yml', () => {
  it('infers the type of a check written without one from its fields: url, database and query, redis, metrics', () => {
    expect(healthOf(...UNTYPED).map((check) => check.type)).toEqual(['http', 'sql', 'redis', 'prometheus']);
  });

  it('reads a check with an explicit type: exactly as the same check without it', () => {
    const typed = UNTYPED.map((check, i) =>
      check.replace('{ ', `{ type: ${['http', 'sql', 'redis', 'prometheus'][i]}, `),
    );
    const parsed = healthOf(...typed);
    expect(parsed).toEqual(healthOf(...UNTYPED));
    expect(parsed.map((check) => check.type)).toEqual(['http', 'sql', 'redis', 'prometheus']);
  });

  it('gives an entry written without type: its inferred type as a field, as if it had been written', () => {
    const [api] = healthOf('{ name: api, url: "https://web.example/health" }');
    expect(api).toEqual({
      type: 'http',
      name: 'api',
      url: 'https://web.example/health',
      latency_budget: 1000,
      timeout: 5000,
    });
  });

  it('names the known types when a type is unknown, missing, or cannot be told from the fields', () => {
    expect(
      problems(
        '{ type: ftp, name: a, url: "https://web.example/health" }',
        '{ name: b, timeout: 5s }',
        '{ name: c, url: "https://web.example/health", database: main, query: "SELECT 1" }',
      ),
    ).toEqual([
      'services.web.health[0].type: is not a check type opsbot knows (known: http, sql, redis, prometheus)',
      'services.web.health[1].type: is required: one of http, sql, redis, prometheus (left out, it is inferred from url, database, query, redis, metrics)',
      'services.web.health[2].type: is required: the fields fit more than one type (http, sql)',
    ]);
  });

  it("checks an explicitly typed check against its type's schema, and a SQL check's database against the service", () => {
    expect(
      problems(
        '{ type: sql, name: a, url: "https://web.example/health" }',
        '{ type: sql, name: b, database: replica, query: "SELECT 1" }',
        '{ name: c, database: main }',
      ),
    ).toEqual([
      'services.web.health[0].database: Invalid input: expected string, received undefined',
      'services.web.health[0].query: Invalid input: expected string, received undefined',
      'services.web.health[0].url: is not a known key',
      'services.web.health[2].query: Invalid input: expected string, received undefined',
      'services.web.health[1].database: names no database of this service (configured: main)',
    ]);
  });
});

describe('running checks of each type', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"healthy"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('runs each check by its type, typed or inferred', async () => {
    const checks = healthOf(
      `{ type: http, name: api, url: "${base}/health", expect: { status: 200, json: { status: healthy } } }`,
      `{ name: legacy, url: "${base}/health" }`,
      '{ type: redis, name: cache, redis: "redis://127.0.0.1:1", timeout: 2s }',
    );
    const health = await checkService('web', checks, {
      database: () => {
        throw new Error('no SQL check here');
      },
      windows: new CounterWindows(),
      levels: { observe: () => Promise.reject(new Error('no sustained check here')) },
    });
    expect(health.checks.map(({ name, level }) => ({ name, level }))).toEqual([
      { name: 'api', level: 'ok' },
      { name: 'legacy', level: 'ok' },
      { name: 'cache', level: 'critical' },
    ]);
  });
});
