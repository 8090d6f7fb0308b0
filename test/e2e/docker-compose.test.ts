import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { blockText, topCards } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { FakeDocker } from '../support/fake-docker.js';
import { type Harness, startHarness } from '../support/harness.js';
import { slackRuns } from '../support/seed-runs.js';

const PROJECT = 'ai-benchmark';
/** Token-shaped, configured nowhere: redacted by its shape. */
const SLACK_TOKEN = 'xoxb-4242424242-printedbypsql';
const VACUUM = "psql -U benchmark_user -d benchmark_db -c 'VACUUM ANALYZE;'";

let h: Harness;
let runs: ReturnType<typeof slackRuns>;
let docker: FakeDocker;

/** examples/ai-benchmark.ops.yml, its compose section pointed at the fake Engine's socket. */
function configText(): string {
  const config = parse(readFileSync(new URL('../../examples/ai-benchmark.ops.yml', import.meta.url), 'utf8'));
  config.workspace.health_probe_every = 'off';
  config.services['ai-benchmark'].compose.docker = { socket: docker.socketPath };
  return stringify(config);
}

beforeAll(async () => {
  docker = await new FakeDocker().start();
  h = await startHarness(
    { incidentTickMs: 60_000 },
    {
      configText: configText(),
      env: {
        // Never connected to: these tests run no sql action, backup or restore.
        AI_BENCHMARK_DATABASE_URL: 'postgres://benchmark_user@127.0.0.1:5432/benchmark_db',
        AI_BENCHMARK_STAGING_DATABASE_URL: 'postgres://benchmark_user@127.0.0.1:5432/benchmark_db',
        AI_BENCHMARK_URL: 'https://bench.ai.example',
        AI_BENCHMARK_REDIS_URL: 'redis://127.0.0.1:6379/0',
        AI_BENCHMARK_BACKUP_KEY: randomBytes(32).toString('base64'),
      },
    },
  );
  runs = slackRuns(h);
});
afterAll(async () => {
  await h?.close();
  await docker?.stop();
});
beforeEach(() => {
  docker.reset();
  docker.addContainer(PROJECT, 'web', 1, { ports: ['8000'], health: 'healthy' });
  docker.addContainer(PROJECT, 'web', 2, { ports: ['8000'], health: 'healthy' });
  docker.addContainer(PROJECT, 'postgres', 1, { image: 'postgres' });
  docker.addContainer(PROJECT, 'redis', 1, { image: 'redis' });
});

describe('AI Benchmark on Docker Compose, from Slack', () => {
  it('restart-web: the plan lists the containers, Confirm restarts each, the card shows them after', async () => {
    const [one, two] = docker.containers;
    const { card, runId, ts } = await runs.request('restart-web ai-benchmark');
    const plan = blockText(card);
    expect(plan).toContain(
      'Restart the 2 running containers of web in compose project ai-benchmark, one after another, each given 10s to stop.',
    );
    expect(plan).toContain('ai-benchmark-web-2');
    expect(docker.changes()).toEqual([]);

    const run = await runs.confirm(runId, ts);
    expect(run.state).toBe('succeeded');
    expect(run.card).toContain('Restarted 2 containers of web.');
    expect(docker.changes().map((r) => `${r.method} ${r.path}?${r.query}`)).toEqual([
      `POST /containers/${one?.id}/restart?t=10`,
      `POST /containers/${two?.id}/restart?t=10`,
    ]);
  });

  it('scale-web 3 in an incident channel: Confirm creates ai-benchmark-web-3, the card and the timeline say so', async () => {
    const incident = await runs.declare('Benchmark API answers 503s');
    const { card, runId, ts } = await runs.request('scale-web ai-benchmark 3', 'U0ALICE', incident.channel);
    expect(blockText(card)).toContain(
      'Scale web in compose project ai-benchmark from 2 to 3 containers: create and start ai-benchmark-web-3 (copies of ai-benchmark-web-1).',
    );
    expect(docker.changes()).toEqual([]);

    const run = await runs.confirm(runId, ts, incident.channel);
    const result = 'Scaled web from 2 to 3 containers: created ai-benchmark-web-3.';
    expect(run.state).toBe('succeeded');
    expect(run.card).toContain(result);
    const created = docker.named('ai-benchmark-web-3');
    expect(created?.state).toBe('running');
    expect(docker.changes().map((r) => `${r.method} ${r.path}?${r.query}`)).toEqual([
      'POST /containers/create?name=ai-benchmark-web-3',
      `POST /containers/${created?.id}/start?`,
    ]);
    await eventually(async () => {
      const { rows } = await h.db.query(
        "SELECT text FROM incident_events WHERE incident_id = $1 AND kind = 'action' AND source = $2",
        [incident.id, `run:${runId}`],
      );
      expect(rows.map((row) => row.text)).toEqual([
        `scale-web ai-benchmark replicas=3: succeeded — ${result}`,
      ]);
    });
  });

  it('scale-web beyond its bounds is refused in one sentence and nothing is touched', async () => {
    const before = topCards(h.slack).length;
    expect(await runs.reply('scale-web ai-benchmark 5')).toContain(
      '5 containers is outside what this action allows for web (1 to 4).',
    );
    expect(topCards(h.slack)).toHaveLength(before);
    expect(docker.changes()).toEqual([]);
  });

  it("vacuum runs on request (low risk): the runbook's psql in postgres, its output in the card's thread, the result on the card", async () => {
    docker.execScript = { frames: [{ stream: 1, text: 'VACUUM\n' }], exitCode: 0 };
    const { runId, ts } = await runs.request('vacuum ai-benchmark');
    const run = await runs.finished(runId, ts);
    expect(run.state).toBe('succeeded');
    expect(run.card).toContain(
      `\`${VACUUM}\` exited with code 0 in ai-benchmark-postgres-1; its output is in the thread.`,
    );
    const postgres = docker.named('ai-benchmark-postgres-1');
    const exec = docker.changes()[0];
    expect(`${exec?.method} ${exec?.path}`).toBe(`POST /containers/${postgres?.id}/exec`);
    expect(exec?.body).toEqual({
      Cmd: ['psql', '-U', 'benchmark_user', '-d', 'benchmark_db', '-c', 'VACUUM ANALYZE;'],
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    });
    expect(runs.hasOutputInThread(ts)).toBe(true);
    await eventually(() =>
      expect(runs.outputs()).toContainEqual(
        `*Output* of \`${VACUUM} in ai-benchmark-postgres-1\` — exit code 0 (1 line)\n\`\`\`\nVACUUM\n\`\`\``,
      ),
    );
  });

  it('a token the command prints never reaches Slack or the logs; a non-zero exit fails the run with its last lines', async () => {
    docker.execScript = {
      frames: [
        { stream: 1, text: `connecting with ${SLACK_TOKEN}\n` },
        { stream: 2, text: 'ERROR:  permission denied for database benchmark_db\n' },
      ],
      exitCode: 1,
    };
    const { runId, ts } = await runs.request('vacuum ai-benchmark');
    const run = await runs.finished(runId, ts);
    expect(run.state).toBe('failed');
    expect(run.error).toBe(
      `\`${VACUUM}\` exited with code 1 in ai-benchmark-postgres-1; last lines: connecting with [redacted] ⏎ ERROR:  permission denied for database benchmark_db.`,
    );
    expect(runs.hasOutputInThread(ts)).toBe(true);
    await eventually(() =>
      expect(runs.outputs()).toContainEqual(
        `*Output* of \`${VACUUM} in ai-benchmark-postgres-1\` — exit code 1 (2 lines)\n\`\`\`\n` +
          'connecting with [redacted]\nERROR:  permission denied for database benchmark_db\n```',
      ),
    );
    expect(JSON.stringify(h.slack.calls)).not.toContain(SLACK_TOKEN);
    expect(h.logs.join('')).not.toContain(SLACK_TOKEN);
  });
});
