import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOpsConfig } from '../../../src/config/load.js';
import { checkService } from '../../../src/health/check-service.js';
import type { HealthLevel } from '../../../src/health/levels.js';
import {
  type Held,
  heldLevel,
  nextSustained,
  type SustainedLevels,
  type SustainedState,
} from '../../../src/health/sustained.js';
import { CounterWindows } from '../../support/memory-counter-windows.js';

/** The runs of sustained checks in memory, at the times a test sets (opsbot keeps them in PostgreSQL). */
class MemoryLevels implements SustainedLevels {
  now = 0;
  private readonly states = new Map<string, SustainedState>();

  async observe(service: string, check: string, level: HealthLevel, sustainedMs: number): Promise<Held> {
    const key = `${service}/${check}`;
    const next = nextSustained(this.states.get(key), level, this.now, sustainedMs);
    this.states.set(key, next);
    return heldLevel(next, this.now, sustainedMs);
  }
}

/** A service's `/metrics`: its p95 latency as a gauge the test sets (the check grades a `value`). */
let p95 = 0.4;
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`# TYPE latency_p95_seconds gauge\nlatency_p95_seconds ${p95}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** ops.yml's health checks of one service `web`, each a YAML flow line. */
function healthOf(...checks: string[]) {
  const yaml = `
workspace: { ops_channel: C0OPS }
services:
  web:
    environment: staging
    databases: { main: { url: "postgres://opsbot@db.internal/web" } }
    health:
${checks.map((check) => `      - ${check}`).join('\n')}
`;
  return parseOpsConfig(yaml, {}).services.web?.health ?? [];
}

const LATENCY = `{ name: latency, metrics: "BASE/metrics", value: { metric: latency_p95_seconds }, warning: { above: 1 }, critical: { above: 2 }, sustained: 5m }`;

/** Runs web's checks as the probe does, at `at` ms on the levels' clock. */
function runner(levels: MemoryLevels, ...checks: string[]) {
  const parsed = healthOf(...checks.map((check) => check.replace('BASE', base)));
  return async (at: number) => {
    levels.now = at;
    const health = await checkService('web', parsed, {
      database: () => {
        throw new Error('no SQL check here');
      },
      windows: new CounterWindows(),
      levels,
    });
    return health.checks.map(({ name, level, detail }) => ({ name, level, detail }));
  };
}

describe('a check with sustained:', () => {
  it('holds a worse level back until it has lasted, then counts it; recovery counts at once', async () => {
    const run = runner(new MemoryLevels(), LATENCY);
    p95 = 0.4;
    expect(await run(0)).toEqual([{ name: 'latency', level: 'ok', detail: 'latency_p95_seconds 0.4' }]);
    p95 = 2.4;
    expect(await run(30_000)).toEqual([
      {
        name: 'latency',
        level: 'ok',
        detail: 'latency_p95_seconds 2.4; critical for 0 s (sustained 5m before it counts)',
      },
    ]);
    expect(await run(70_000)).toMatchObject([
      { level: 'ok', detail: 'latency_p95_seconds 2.4; critical for 40 s (sustained 5m before it counts)' },
    ]);
    expect(await run(330_000)).toEqual([
      { name: 'latency', level: 'critical', detail: 'latency_p95_seconds 2.4' },
    ]);
    p95 = 0.5;
    expect(await run(340_000)).toMatchObject([{ level: 'ok', detail: 'latency_p95_seconds 0.5' }]);
    p95 = 2.4; // bad again: the hold starts over
    expect(await run(350_000)).toMatchObject([
      { level: 'ok', detail: expect.stringContaining('critical for 0 s') },
    ]);
  });

  it('holds warning while critical has not lasted, when warning or worse has', async () => {
    const run = runner(new MemoryLevels(), LATENCY);
    p95 = 1.5;
    await run(0);
    expect(await run(300_000)).toMatchObject([{ level: 'warning', detail: 'latency_p95_seconds 1.5' }]);
    p95 = 2.4;
    expect(await run(360_000)).toMatchObject([
      {
        level: 'warning',
        detail: 'latency_p95_seconds 2.4; critical for 0 s (sustained 5m before it counts)',
      },
    ]);
    p95 = 1.5; // critical → warning: warning has held since 0, so it counts at once
    expect(await run(370_000)).toMatchObject([{ level: 'warning', detail: 'latency_p95_seconds 1.5' }]);
  });

  it('leaves a check without sustained: as its run is, and keeps each check’s history its own', async () => {
    const levels = new MemoryLevels();
    const plain =
      '{ name: plain, metrics: "BASE/metrics", value: { metric: latency_p95_seconds }, warning: { above: 1 } }';
    const run = runner(levels, LATENCY, plain);
    p95 = 1.5;
    expect(await run(0)).toMatchObject([
      { name: 'latency', level: 'ok' },
      { name: 'plain', level: 'warning' },
    ]);
    expect(await runner(levels, LATENCY.replace('latency,', 'other,'))(300_000)).toMatchObject([
      { name: 'other', level: 'ok' },
    ]);
  });

  it('counts a run’s own level, saying why, when the earlier runs cannot be read', async () => {
    const parsed = healthOf(LATENCY.replace('BASE', base));
    p95 = 2.4;
    const health = await checkService('web', parsed, {
      database: () => {
        throw new Error('no SQL check here');
      },
      windows: new CounterWindows(),
      levels: { observe: () => Promise.reject(new Error('connection refused')) },
    });
    expect(health.checks).toMatchObject([
      {
        level: 'critical',
        detail:
          'latency_p95_seconds 2.4 (the earlier runs could not be read, so it counts at once: connection refused)',
      },
    ]);
  });

  it('is a field of every check type', () => {
    const checks = healthOf(
      '{ name: api, url: "http://localhost:8000/health", sustained: 2m }',
      '{ name: size, database: main, query: "SELECT 1", warning: { above: 10 }, sustained: 30s }',
      '{ name: cache, redis: "redis://127.0.0.1:6379", sustained: 1h }',
      LATENCY.replace('BASE', 'http://localhost:8000'),
    );
    expect(checks.map((check) => [check.type, check.sustained])).toEqual([
      ['http', 120_000],
      ['sql', 30_000],
      ['redis', 3_600_000],
      ['prometheus', 300_000],
    ]);
    expect(() => healthOf('{ name: api, url: "http://localhost:8000/health", sustained: soon }')).toThrow(
      /health\[0\]\.sustained \(line 8\): must be a duration such as 30s, 5m or 2h/,
    );
  });
});

describe('nextSustained', () => {
  it('starts over after a gap longer than 15 minutes or the sustained duration, when the level is unknown', () => {
    const warning = nextSustained(undefined, 'warning', 0, 60_000);
    const after = nextSustained(warning, 'warning', 16 * 60_000, 60_000);
    expect(after.warningSince).toBe(16 * 60_000);
    expect(heldLevel(after, 16 * 60_000, 60_000)).toEqual({ level: 'ok', forMs: 0 });
    const long = nextSustained(warning, 'warning', 16 * 60_000, 3_600_000); // sustained 1h: 16 min is no gap
    expect(long.warningSince).toBe(0);
  });
});
