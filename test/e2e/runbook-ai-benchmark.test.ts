import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { FakeAiBenchmark } from '../fixtures/seeds/ai-benchmark/service.js';
import { createTestDatabase, eventually } from '../support/databases.js';
import { type ExecScript, type FakeContainer, FakeDocker } from '../support/fake-docker.js';
import { type Harness, startHarness } from '../support/harness.js';
import { runbookRuns } from '../support/runbook-runs.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../support/test-env.js';

/**
 * examples/ai-benchmark.ops.yml's l1-response (runbook 003, "Level 1: Basic Troubleshooting") from Slack,
 * end to end against the AI Benchmark fixture system: the fake web service's /health and /ready
 * (test/fixtures/seeds/ai-benchmark/service.ts), a database for the db-connections check, and the fake
 * Docker Engine, whose postgres and redis containers run pg_isready and redis-cli for real against the
 * tests' PostgreSQL and Redis. The example as it is, except one time: settle's wait (30m at most, every
 * 15s) is 4s at most, every 1s, so that "still unresolved" comes in seconds.
 */

const PROJECT = 'ai-benchmark';
const RUNBOOK = 'l1-response ai-benchmark';
const ESCALATION = '<!subteam^S0DEVOPS>';

let h: Harness;
let docker: FakeDocker;
let web: FakeAiBenchmark;
let app: Awaited<ReturnType<typeof createTestDatabase>>;
let rb: ReturnType<typeof runbookRuns>;

/** The example with the fake Engine's socket, health probing off and settle's wait shortened. */
function configText(): string {
  const config = parse(readFileSync(new URL('../../examples/ai-benchmark.ops.yml', import.meta.url), 'utf8'));
  config.workspace.health_probe_every = 'off';
  const service = config.services['ai-benchmark'];
  service.compose.docker = { socket: docker.socketPath };
  const settle = service.actions['l1-response'].steps.find(
    (step: { name: string }) => step.name === 'settle',
  );
  settle.wait = { ...settle.wait, timeout: '4s', every: '1s' };
  return stringify(config);
}

/** Runs a local program as the container would, its output as exec frames. */
function run(file: string, args: string[]): Promise<ExecScript> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 10_000 }, (error, stdout, stderr) => {
      resolve({
        frames: [
          ...(stdout ? [{ stream: 1 as const, text: stdout }] : []),
          ...(stderr ? [{ stream: 2 as const, text: stderr }] : []),
        ],
        exitCode: error === null ? 0 : typeof error.code === 'number' ? error.code : 1,
      });
    });
  });
}

/** postgres's pg_isready and redis's `redis-cli ping`, run for real; anything else is not in the container. */
function containerExec(cmd: string[], container: FakeContainer): Promise<ExecScript> {
  const service = container.config.Labels['com.docker.compose.service'];
  const server = new URL(TEST_DATABASE_URL);
  if (service === 'postgres' && cmd.join(' ') === 'pg_isready') {
    return run('pg_isready', ['-h', server.hostname, '-p', server.port || '5432']);
  }
  if (service === 'redis' && cmd.join(' ') === 'redis-cli ping') {
    return run('redis-cli', ['-u', TEST_REDIS_URL, 'ping']);
  }
  return Promise.resolve({
    frames: [{ stream: 2, text: `exec: "${cmd[0]}": executable file not found\n` }],
    exitCode: 127,
  });
}

beforeAll(async () => {
  docker = await new FakeDocker().start();
  docker.onExec = containerExec;
  web = await new FakeAiBenchmark().start();
  app = await createTestDatabase('ai_benchmark_l1');
  h = await startHarness(
    { runbookPollMs: 100 },
    {
      configText: configText(),
      env: {
        AI_BENCHMARK_DATABASE_URL: app.url,
        AI_BENCHMARK_STAGING_DATABASE_URL: app.url,
        AI_BENCHMARK_URL: web.url,
        AI_BENCHMARK_REDIS_URL: TEST_REDIS_URL,
        AI_BENCHMARK_BACKUP_KEY: randomBytes(32).toString('base64'),
      },
    },
  );
  rb = runbookRuns(h);
});

afterAll(async () => {
  await h?.close();
  await docker?.stop();
  await web?.stop();
  await app?.drop();
});

beforeEach(() => {
  web.restart();
  docker.reset();
  docker.addContainer(PROJECT, 'web', 1, { ports: ['8000'], health: 'healthy' });
  docker.addContainer(PROJECT, 'web', 2, { ports: ['8000'], health: 'healthy' });
  docker.addContainer(PROJECT, 'postgres', 1, { image: 'postgres' });
  docker.addContainer(PROJECT, 'redis', 1, { image: 'redis' });
});

/** The containers the fake Engine was asked to restart, by name, in order. */
function restarts(): string[] {
  return docker
    .changes()
    .filter((request) => request.method === 'POST' && request.path.endsWith('/restart'))
    .map(
      (request) => docker.containers.find((c) => request.path === `/containers/${c.id}/restart`)?.name ?? '',
    );
}

/** Each step's state, by name, in order. */
async function states(runId: string): Promise<Record<string, string>> {
  return Object.fromEntries((await rb.steps(runId)).map((row) => [row.name, row.state]));
}

/** The texts posted in the thread of the message at `ts` in `channel`, once `count` are there. */
function thread(ts: string, count: number, channel = 'C0OPS'): Promise<string[]> {
  return eventually(() => {
    const texts = h.slack
      .of('chat.postMessage')
      .filter((m) => m.channel === channel && m.thread_ts === ts)
      .map((m) => String(m.text));
    expect(texts.length).toBeGreaterThanOrEqual(count);
    return texts;
  });
}

/** Messages that mention the DevOps group (the escalation to Level 2). */
function escalations(): string[] {
  return h.slack
    .of('chat.postMessage')
    .map((m) => String(m.text))
    .filter((text) => text.includes(ESCALATION));
}

describe('AI Benchmark Level 1 response (runbook 003) as a runbook, from Slack', () => {
  it('web not ready: Alice confirms restart-web, each web container restarts once, the wait ends when ready; no escalation', async () => {
    web.set({ ready: false });
    const { runId, ts } = await rb.request(RUNBOOK);
    const restart = await rb.stepRun(runId, 'restart-web');
    expect(restart.state).toBe('awaiting_confirmation');
    expect(restarts()).toEqual([]); // nothing restarted before Alice's Confirm

    const confirmed = await rb.confirm(restart.id, restart.message_ts);
    expect(confirmed.state).toBe('succeeded');
    expect(confirmed.card).toContain('Restarted 2 containers of web.');
    expect(restarts()).toEqual(['ai-benchmark-web-1', 'ai-benchmark-web-2']);

    // The wait sees web still not ready, then the service comes back.
    await eventually(async () => {
      const settle = (await rb.steps(runId)).find((row) => row.name === 'settle');
      expect(settle?.state).toBe('running');
      expect(settle?.detail).toMatch(/^readiness is critical; looking again every 1s until/);
    });
    web.set({ ready: true });

    const end = await rb.ended(runId);
    expect(end).toMatchObject({ state: 'succeeded', error: null });
    const expected = {
      liveness: 'done',
      readiness: 'done',
      postgres: 'done',
      redis: 'done',
      'restart-web': 'done',
      'restart-postgres': 'skipped',
      'restart-redis': 'skipped',
      logs: 'done',
      connections: 'done',
      settle: 'done',
      escalate: 'skipped',
    };
    expect(await states(runId)).toEqual(expected);
    expect(end.card).toContain('8 steps done, 3 skipped.');
    for (const [i, [name, state]] of Object.entries(expected).entries()) {
      expect(end.card).toContain(`${i + 1}. *${name}* (${state})`);
    }
    expect(end.card).toContain('_not needed: settle is warning or critical is not so (level ok)_');
    expect(restarts()).toEqual(['ai-benchmark-web-1', 'ai-benchmark-web-2']); // still once each

    const said = await thread(ts, 8);
    const done = Object.entries(expected).filter(([, state]) => state === 'done');
    for (const [name] of done) {
      expect(said.filter((text) => text.startsWith(`:white_check_mark: *${name}*: `))).toHaveLength(1);
    }
    expect(said).toContain(
      ':white_check_mark: *readiness*: readiness is critical: answered 503, expected 200',
    );
    expect(said.join('\n')).toContain(
      'Check the logs for obvious errors: `/ops logs ai-benchmark web since=30m level=error`',
    );
    expect(said.join('\n')).toMatch(/\*postgres\*: pg-isready succeeded: `pg_isready` exited with code 0/);
    expect(said.join('\n')).toMatch(/\*settle\*: readiness is ok: 200/);
    expect(escalations()).toEqual([]);
  });

  it('web containers not running: restart-web fails, the runbook stops there with the reason, nothing after it runs', async () => {
    docker.reset();
    docker.addContainer(PROJECT, 'web', 1, { ports: ['8000'], state: 'exited' });
    docker.addContainer(PROJECT, 'web', 2, { ports: ['8000'], state: 'exited' });
    docker.addContainer(PROJECT, 'postgres', 1, { image: 'postgres' });
    docker.addContainer(PROJECT, 'redis', 1, { image: 'redis' });
    web.set({ ready: false });
    const { runId, ts } = await rb.request(RUNBOOK);

    const end = await rb.ended(runId);
    const reason =
      'Planning failed: web has no running container in compose project ai-benchmark to restart; start it with docker-compose up -d web.';
    expect(end.state).toBe('failed');
    expect(end.error).toMatch(/^Stopped at step restart-web: restart-web \(run_[a-f0-9]{12}\) failed: /);
    expect(end.error).toContain(reason);
    expect(end.card).toContain(`*Error:* ${end.error}`);
    expect(await thread(ts, 5)).toContainEqual(
      expect.stringMatching(/^:x: \*restart-web\* failed: restart-web/),
    );
    expect(await states(runId)).toEqual({
      liveness: 'done',
      readiness: 'done',
      postgres: 'done',
      redis: 'done',
      'restart-web': 'failed',
      'restart-postgres': 'waiting',
      'restart-redis': 'waiting',
      logs: 'waiting',
      connections: 'waiting',
      settle: 'waiting',
      escalate: 'waiting',
    });
    for (const [i, name] of [
      'restart-postgres',
      'restart-redis',
      'logs',
      'connections',
      'settle',
      'escalate',
    ].entries()) {
      expect(end.card).toContain(`${i + 6}. *${name}* (waiting)`);
    }
    expect(restarts()).toEqual([]);
    expect(escalations()).toEqual([]);
  });

  it('in an incident channel, still not ready after the wait: Level 2 is escalated there, every step on the timeline', async () => {
    const incident = await rb.declare('AI Benchmark not ready');
    web.set({ ready: false });
    const { runId, ts } = await rb.request(RUNBOOK, 'U0ALICE', incident.channel);
    const restart = await rb.stepRun(runId, 'restart-web');
    expect((await rb.confirm(restart.id, restart.message_ts, incident.channel)).state).toBe('succeeded');
    expect(restarts()).toEqual(['ai-benchmark-web-1', 'ai-benchmark-web-2']);

    const end = await rb.ended(runId);
    expect(end.state).toBe('succeeded'); // Level 1 ends by handing over to Level 2
    expect(end.card).toContain('8 steps done, 2 skipped, 1 failed and passed over (on_failure).');
    const steps = await rb.steps(runId);
    expect(Object.fromEntries(steps.map((row) => [row.name, row.state]))).toMatchObject({
      'restart-web': 'done',
      settle: 'failed',
      escalate: 'done',
    });
    expect(steps.find((row) => row.name === 'settle')?.detail).toMatch(
      /^readiness was still critical after 4s: answered 503, expected 200$/,
    );

    const posted = await eventually(() => {
      const found = h.slack
        .of('chat.postMessage')
        .filter((m) => m.channel === incident.channel && !m.thread_ts && String(m.text).includes(ESCALATION));
      expect(found).toHaveLength(1);
      return String(found[0]?.text);
    });
    expect(posted).toBe(
      `:rotating_light: ${ESCALATION}, you are escalated to: Level 2 (DevOps): ai-benchmark is still not ready 30 minutes into Level 1 troubleshooting (runbook started by <@U0ALICE>).`,
    );
    expect(await thread(ts, 9, incident.channel)).toContainEqual(
      expect.stringMatching(/^:x: \*settle\* failed: readiness was still critical after 4s/),
    );

    const events = await eventually(async () => {
      const { rows } = await h.db.query(
        'SELECT kind, source, text FROM incident_events WHERE incident_id = $1 AND source LIKE $2 ORDER BY id',
        [incident.id, `runbook:${runId}:%`],
      );
      expect(rows.length).toBeGreaterThanOrEqual(10);
      return rows as { kind: string; source: string; text: string }[];
    });
    const told = steps.filter((row) => row.state !== 'skipped').map((row) => `runbook:${runId}:${row.name}`);
    expect(events.filter((e) => e.kind === 'action').map((e) => e.source)).toEqual(told);
    expect(events.find((e) => e.source === `runbook:${runId}:restart-web`)?.text).toMatch(
      /^l1-response ai-benchmark · \*restart-web\*: restart-web succeeded: Restarted 2 containers of web/,
    );
    expect(events.filter((e) => e.kind === 'escalation')).toEqual([
      {
        kind: 'escalation',
        source: `runbook:${runId}:escalate:escalate`,
        text: `Escalated to ${ESCALATION} by runbook l1-response: Level 2 (DevOps): ai-benchmark is still not ready 30 minutes into Level 1 troubleshooting`,
      },
    ]);
  });
});
