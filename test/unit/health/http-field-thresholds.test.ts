import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpCheckSchema, runHttpCheck } from '../../../src/health/checks/http.js';

/** Redmine RAG's /healthz answer (its HealthResponse: checks[] by name, sync_jobs counters), `failed` as given. */
function healthz(failed: unknown, database = 'ok') {
  return {
    status: database === 'ok' ? 'ok' : 'degraded',
    app: 'redmine-rag',
    version: '0.1.0',
    utc_time: '2026-12-01T10:00:00Z',
    checks: [
      { name: 'database', status: database, detail: 'Database connection healthy', latency_ms: 3 },
      { name: 'llm_runtime', status: 'ok', detail: 'Ollama reachable', latency_ms: 12 },
    ],
    sync_jobs: { queued: 0, running: 1, finished: 40, failed },
  };
}

/** What the server answers on each path. */
const ANSWERS: Record<string, string> = {
  '/healthz/0': JSON.stringify(healthz(0)),
  '/healthz/2': JSON.stringify(healthz(2)),
  '/healthz/7': JSON.stringify(healthz(7)),
  '/healthz/text': JSON.stringify(healthz('7')),
  '/models': JSON.stringify({ models: { 'llama3.2': { size: 2 } } }),
  '/html': '<html>Bad gateway</html>',
  '/healthz/db-warn': JSON.stringify(healthz(0, 'warn')),
  '/healthz/db-fail': JSON.stringify(healthz(0, 'fail')),
};

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(ANSWERS[req.url ?? ''] ?? '{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const FAILED = { field: 'sync_jobs.failed', warning: { above: 0 }, critical: { above: 5 } };

/** Runs an http check on `path` of the server, parsed as ops.yml would be, with these extra fields. */
function check(path: string, fields: Record<string, unknown>, now?: () => number) {
  return runHttpCheck(
    HttpCheckSchema.parse({ type: 'http', name: 'healthz', url: `${base}${path}`, ...fields }),
    now,
  );
}

describe('http check: levels on numeric fields of the JSON answer', () => {
  it('grades the failed-sync counter: ok at 0, a warning above 0, critical above 5', async () => {
    expect(await check('/healthz/0', { thresholds: [FAILED] })).toMatchObject({
      level: 'ok',
      detail: '200, sync_jobs.failed = 0',
    });
    expect(await check('/healthz/2', { thresholds: [FAILED] })).toMatchObject({
      level: 'warning',
      detail: '200, sync_jobs.failed = 2 (warning)',
    });
    expect(await check('/healthz/7', { thresholds: [FAILED] })).toMatchObject({
      level: 'critical',
      detail: '200, sync_jobs.failed = 7 (critical)',
    });
  });

  it('counts the worst of several fields, and names each value', async () => {
    const result = await check('/healthz/2', {
      thresholds: [FAILED, { field: 'sync_jobs.running', critical: { below: 1 } }],
    });
    expect(result).toMatchObject({
      level: 'warning',
      detail: '200, sync_jobs.failed = 2 (warning), sync_jobs.running = 1',
    });
    const worse = await check('/healthz/0', {
      thresholds: [FAILED, { field: 'checks.name=llm_runtime.latency_ms', critical: { above: 10 } }],
    });
    expect(worse).toMatchObject({
      level: 'critical',
      detail: '200, sync_jobs.failed = 0, checks.name=llm_runtime.latency_ms = 12 (critical)',
    });
  });

  it('picks list items by position or by a field, and keys with dots through the list form', async () => {
    const result = await check('/healthz/0', {
      thresholds: [
        { field: 'checks.0.latency_ms', warning: { above: 100 } },
        { field: 'checks.name=database.latency_ms', warning: { above: 2 } },
      ],
    });
    expect(result).toMatchObject({
      level: 'warning',
      detail: '200, checks.0.latency_ms = 3, checks.name=database.latency_ms = 3 (warning)',
    });
    expect(
      await check('/models', {
        thresholds: [{ field: ['models', 'llama3.2', 'size'], critical: { above: 1 } }],
      }),
    ).toMatchObject({ level: 'critical', detail: '200, models.llama3.2.size = 2 (critical)' });
  });

  it('is critical, with one sentence, when a field is missing or not a number', async () => {
    const one = (path: string, field: string | string[]) =>
      check(path, { thresholds: [{ field, warning: { above: 0 } }] });
    expect(await one('/healthz/0', 'sync_jobs.failures')).toMatchObject({
      level: 'critical',
      detail: 'the answer has no sync_jobs.failures',
    });
    expect((await one('/healthz/0', 'checks.name=ollama.latency_ms')).detail).toBe(
      'the answer has no checks.name=ollama.latency_ms',
    );
    expect((await one('/healthz/0', 'checks.9.latency_ms')).detail).toBe(
      'the answer has no checks.9.latency_ms',
    );
    expect((await one('/healthz/text', 'sync_jobs.failed')).detail).toBe(
      'sync_jobs.failed is "7", not a number',
    );
    expect((await one('/healthz/0', 'sync_jobs')).detail).toBe('sync_jobs is an object, not a number');
    expect((await one('/healthz/0', 'checks')).detail).toBe('checks is a list, not a number');
    expect((await one('/healthz/0', 'sync_jobs.failed.count')).detail).toBe(
      'the answer has no sync_jobs.failed.count',
    );
    expect((await one('/html', 'sync_jobs.failed')).detail).toBe('the answer is not JSON');
  });

  it('checks expect.json first, and keeps a critical field critical when the answer is also slow', async () => {
    expect(
      await check('/healthz/7', { expect: { json: { status: 'degraded' } }, thresholds: [FAILED] }),
    ).toMatchObject({ level: 'critical', detail: 'status is "ok", expected "degraded"' });
    let calls = 0;
    const slowClock = () => (calls++ === 0 ? 0 : 5000);
    expect(await check('/healthz/7', { thresholds: [FAILED] }, slowClock)).toMatchObject({
      level: 'critical',
      detail: '200, sync_jobs.failed = 7 (critical), slower than its 1000 ms budget',
    });
    calls = 0;
    expect(await check('/healthz/0', { thresholds: [FAILED] }, slowClock)).toMatchObject({
      level: 'warning',
      detail: '200, sync_jobs.failed = 0, slower than its 1000 ms budget',
    });
  });

  it('refuses a field path with an empty key, and a field without levels', () => {
    const problems = (thresholds: unknown) =>
      HttpCheckSchema.safeParse({
        type: 'http',
        name: 'healthz',
        url: 'http://x.test/',
        thresholds,
      }).error?.issues.map((issue) => issue.message);
    expect(problems([{ field: 'sync_jobs..failed', warning: { above: 0 } }])).toEqual([
      'must be keys separated by dots, such as sync_jobs.failed',
    ]);
    expect(problems([{ field: 'sync_jobs.failed' }])).toEqual(['needs warning or critical']);
    expect(problems([])).toEqual(['Too small: expected array to have >=1 items']);
  });
});

describe('http check: levels on a state field of the JSON answer', () => {
  const DATABASE = {
    field: 'checks.name=database.status',
    warning: { is: ['warn'] },
    critical: { is: ['fail'] },
  };

  it("grades Redmine RAG's database check by its status: ok, warn a warning, fail critical", async () => {
    expect(await check('/healthz/0', { thresholds: [DATABASE] })).toMatchObject({ level: 'ok' });
    expect(await check('/healthz/db-warn', { thresholds: [DATABASE] })).toMatchObject({
      level: 'warning',
      detail: '200, checks.name=database.status = warn (warning)',
    });
    expect(await check('/healthz/db-fail', { thresholds: [DATABASE] })).toMatchObject({
      level: 'critical',
      detail: '200, checks.name=database.status = fail (critical)',
    });
  });

  it('is critical when the field holds a number instead of a state', async () => {
    const latency = { field: 'checks.name=database.latency_ms', critical: { is: ['fail'] } };
    expect(await check('/healthz/0', { thresholds: [latency] })).toMatchObject({
      level: 'critical',
      detail: expect.stringContaining('not a state'),
    });
  });

  it('refuses a field graded both as a number and as a state', () => {
    const mixed = { field: 'sync_jobs.failed', warning: { above: 0 }, critical: { is: ['fail'] } };
    const parsed = HttpCheckSchema.safeParse({ type: 'http', name: 'h', url: base, thresholds: [mixed] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe('grades a number (above, below) or a state (is), not both');
  });
});
