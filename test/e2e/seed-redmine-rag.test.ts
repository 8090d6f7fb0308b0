import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { RedmineRagService } from '../fixtures/seeds/redmine-rag/service.js';
import { eventually } from '../support/databases.js';
import { FakeDocker } from '../support/fake-docker.js';
import { type Harness, startHarness } from '../support/harness.js';
import { slackRuns } from '../support/seed-runs.js';

/** Runbook 004's CLI, as the example runs it in the api container. */
const CLI = ['.venv/bin/python', '-m', 'redmine_rag.cli', 'ops'];
const PROJECT = 'redmine-rag';
const CONTAINER = 'redmine-rag-api-1';

let h: Harness;
let rag: RedmineRagService;
let docker: FakeDocker;
let slack: ReturnType<typeof slackRuns>;

/**
 * examples/redmine-rag.ops.yml against the fixture system: its compose section pointed at the fake Engine,
 * and, test-only, the entries the example had before issue 16, which call endpoints the runbook does not have.
 */
function configText(): string {
  const config = parse(readFileSync(new URL('../../examples/redmine-rag.ops.yml', import.meta.url), 'utf8'));
  config.workspace.health_probe_every = 'off';
  const service = config.services[PROJECT];
  service.compose.docker = { socket: docker.socketPath };
  const old = { kind: 'http', role: 'operator', risk: 'low', url: '${REDMINE_RAG_URL}/v1/admin/backup' };
  service.actions['old-backup'] = { ...old, summary: 'Before issue 16: an admin API', method: 'POST' };
  service.actions['old-sync'] = {
    ...old,
    summary: 'Before issue 16: project, not project_ids',
    method: 'POST',
    url: '${REDMINE_RAG_URL}/v1/sync/redmine',
    body: { project: '{project}', full: false },
    params: { project: { type: 'string', pattern: '^[a-z0-9_-]+$' } },
  };
  return stringify(config);
}

beforeAll(async () => {
  rag = await new RedmineRagService().start();
  docker = await new FakeDocker().start();
  h = await startHarness(
    { incidentTickMs: 60_000 },
    { configText: configText(), env: { REDMINE_RAG_HOST: rag.host, REDMINE_RAG_URL: rag.url } },
  );
  slack = slackRuns(h);
});
afterAll(async () => {
  await h?.close();
  await docker?.stop();
  await rag?.stop();
});
beforeEach(() => {
  rag.reset();
  docker.reset();
  docker.addContainer(PROJECT, 'api', 1, { ports: ['8000:8000'] });
});

/** The exec opsbot created in the api container: its argv. */
function execArgv(): unknown {
  const api = docker.named(CONTAINER);
  const created = docker.changes().filter((r) => r.path === `/containers/${api?.id}/exec`);
  expect(created).toHaveLength(1);
  return (created[0]?.body as { Cmd: string[] } | undefined)?.Cmd;
}

describe('Redmine RAG (runbook 004) from Slack, against its fixture system', () => {
  it('health: /healthz answers 200, the failed-sync counter and the database probe latency are graded', async () => {
    const healthy = await slack.reply(`status ${PROJECT}`);
    expect(healthy).toMatch(
      /:warning: healthz — 200, sync_jobs\.failed = 2 \(warning\), checks\.name=database\.latency_ms = 3, checks\.name=database\.status = ok, checks\.name=llm_runtime\.status = ok \(\d+ ms\)/,
    );
    expect(rag.calls).toEqual([{ method: 'GET', path: '/healthz', query: {}, body: undefined }]);

    rag.jobs = rag.jobs.filter((job) => job.status !== 'failed');
    expect(await slack.reply(`status ${PROJECT}`)).toMatch(
      /:white_check_mark: healthz — 200, sync_jobs\.failed = 0, checks\.name=database\.latency_ms = 3, checks\.name=database\.status = ok, checks\.name=llm_runtime\.status = ok \(\d+ ms\)/,
    );

    // Failure Modes: the `database` check = `fail` is critical.
    rag.checks.database = 'fail';
    expect(await slack.reply(`status ${PROJECT}`)).toMatch(
      /:red_circle: healthz — 200, .*checks\.name=database\.status = fail \(critical\)/,
    );
  });

  it('failed-syncs (Incident Response 2) runs on request: GET /v1/sync/jobs?status=failed&limit=20, the failed jobs on the card', async () => {
    const failed = rag.jobs.filter((job) => job.status === 'failed').reverse();
    const { runId, ts } = await slack.request(`failed-syncs ${PROJECT}`);
    const run = await slack.finished(runId, ts);
    expect(run).toMatchObject({ state: 'succeeded', error: null });
    expect(rag.calls.map(({ method, path, query }) => ({ method, path, query }))).toContainEqual({
      method: 'GET',
      path: '/v1/sync/jobs',
      query: { status: 'failed', limit: '20' },
    });
    const result = await slack.resultInThread(ts);
    expect(result).toContain('total: 2');
    for (const job of failed) {
      expect(result).toContain(job.id);
      // Cells are cut at 40 characters.
      expect(result).toContain(job.error_message?.slice(0, 30));
    }
  });

  it('sync-job (Incident Response 3): GET /v1/sync/jobs/<job_id> shows its lifecycle and error; an unknown id fails in one sentence', async () => {
    const job = rag.jobs.find((j) => j.status === 'failed');
    const { runId, ts } = await slack.request(`sync-job ${PROJECT} ${job?.id}`, 'U0CAROL');
    const run = await slack.finished(runId, ts);
    expect(run.state).toBe('succeeded');
    expect(rag.calls.at(-1)).toMatchObject({ method: 'GET', path: `/v1/sync/jobs/${job?.id}` });
    const result = await slack.resultInThread(ts);
    expect(result).toContain('failed');
    expect(result).toContain(job?.error_message?.slice(0, 30));

    const unknown = 'ffffffffffffffffffffffffffffffff';
    const missing = await slack.request(`sync-job ${PROJECT} ${unknown}`, 'U0CAROL');
    const failed = await slack.finished(missing.runId, missing.ts);
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatch(
      new RegExp(
        `^GET http://127\\.0\\.0\\.1:\\d+/v1/sync/jobs/${unknown} answered 404 Not Found: .*was not found`,
      ),
    );
  });

  it('sync and sync-project (Failure Modes, Incident Response 4): plan, Confirm, POST /v1/sync/redmine with project_ids', async () => {
    const all = await slack.request(`sync ${PROJECT}`);
    expect(all.plan).toMatch(/Would send:[\s\S]*POST http:\/\/127\.0\.0\.1:\d+\/v1\/sync\/redmine/);
    expect(rag.calls).toEqual([]);
    const ran = await slack.confirm(all.runId, all.ts);
    expect(ran.state).toBe('succeeded');
    expect(rag.calls).toEqual([{ method: 'POST', path: '/v1/sync/redmine', query: {}, body: {} }]);
    const queued = rag.jobs.at(-1);
    expect(queued).toMatchObject({ status: 'queued', payload: { project_ids: [] } });
    const result = await slack.resultInThread(all.ts);
    expect(result).toContain(queued?.id);
    expect(result).toContain('Sync job queued');

    const one = await slack.request(`sync-project ${PROJECT} 7`);
    expect((await slack.confirm(one.runId, one.ts)).state).toBe('succeeded');
    expect(rag.calls.at(-1)).toEqual({
      method: 'POST',
      path: '/v1/sync/redmine',
      query: {},
      body: { project_ids: [7] },
    });
    expect(rag.jobs.at(-1)?.payload.project_ids).toEqual([7]);
  });

  it('backup runs on request, maintenance on Confirm: the runbook CLI in the api container, output in the thread', async () => {
    docker.execScript = {
      frames: [{ stream: 1, text: 'Backup created: backups/snapshot-20260105T120000Z\n' }],
      exitCode: 0,
    };
    const backup = await slack.request(`backup ${PROJECT}`);
    const done = await slack.finished(backup.runId, backup.ts);
    expect(done.state).toBe('succeeded');
    expect(execArgv()).toEqual([...CLI, 'backup', '--output-dir', 'backups']);
    expect(slack.hasOutputInThread(backup.ts)).toBe(true);
    await eventually(() =>
      expect(slack.outputs(`ops backup --output-dir backups in ${CONTAINER}`).at(-1)).toContain(
        'Backup created: backups/snapshot-20260105T120000Z',
      ),
    );

    docker.reset();
    docker.addContainer(PROJECT, 'api', 1, { ports: ['8000:8000'] });
    docker.execScript = {
      frames: [{ stream: 1, text: 'wal_checkpoint, VACUUM, ANALYZE done\n' }],
      exitCode: 0,
    };
    const maintenance = await slack.request(`maintenance ${PROJECT}`);
    expect(maintenance.plan).toContain(`Run \`${[...CLI, 'maintenance'].join(' ')}\` in ${CONTAINER}`);
    expect(docker.changes()).toEqual([]);
    expect((await slack.confirm(maintenance.runId, maintenance.ts)).state).toBe('succeeded');
    expect(execArgv()).toEqual([...CLI, 'maintenance']);
  });

  it('restore needs a second operator; it runs ops restore --source-dir backups/snapshot-<timestamp> --force; a bad timestamp is refused', async () => {
    expect(await slack.refusedParams(`restore ${PROJECT} ../../etc`)).toContain(
      'Must match ^[0-9]{8}T[0-9]{6}Z$',
    );
    const restore = await slack.request(`restore ${PROJECT} 20260105T120000Z`);
    expect(restore.plan).toContain(
      `Run \`${[...CLI, 'restore', '--source-dir', 'backups/snapshot-20260105T120000Z', '--force'].join(' ')}\``,
    );
    const run = await slack.confirmAndApprove(restore.runId, restore.ts);
    expect(run.state).toBe('succeeded');
    expect(execArgv()).toEqual([
      ...CLI,
      'restore',
      '--source-dir',
      'backups/snapshot-20260105T120000Z',
      '--force',
    ]);
  });

  it('soak (Soak Test): python3 scripts/ops/soak_sync.py --iterations 3 --project-id 1', async () => {
    const soak = await slack.request(`soak ${PROJECT} 3 1`);
    expect((await slack.confirm(soak.runId, soak.ts)).state).toBe('succeeded');
    expect(execArgv()).toEqual([
      'python3',
      'scripts/ops/soak_sync.py',
      '--iterations',
      '3',
      '--project-id',
      '1',
    ]);
  });

  it("the entries from before issue 16 fail against the runbook's API: no /v1/admin/*, and project is not project_ids", async () => {
    const backup = await slack.request(`old-backup ${PROJECT}`);
    const failed = await slack.finished(backup.runId, backup.ts);
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/v1\/admin\/backup answered 404 Not Found/);

    // The API ignores fields it does not know: `project` is dropped and every project is synced.
    const sync = await slack.request(`old-sync ${PROJECT} core`);
    expect((await slack.finished(sync.runId, sync.ts)).state).toBe('succeeded');
    expect(rag.calls.at(-1)?.body).toEqual({ project: 'core', full: false });
    expect(rag.jobs.at(-1)?.payload.project_ids).not.toEqual([expect.any(Number)]);
    expect(rag.jobs.at(-1)?.payload.project_ids).toEqual([]);
  });
});
