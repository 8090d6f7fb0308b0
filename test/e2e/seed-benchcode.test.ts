import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { BenchCodeServices } from '../fixtures/seeds/benchcode/service.js';
import { eventually } from '../support/databases.js';
import { FakeKubeExec } from '../support/fake-kube-exec.js';
import { FakeKubernetes } from '../support/fake-kubernetes.js';
import { type Harness, startHarness } from '../support/harness.js';
import { slackRuns } from '../support/seed-runs.js';

const EXAMPLE = readFileSync(new URL('../../examples/benchcode.ops.yml', import.meta.url), 'utf8');
/** The namespaces examples/benchcode.ops.yml names for production and staging (the runbook names none). */
const PROD = 'benchcode';
const STAGING = 'benchcode-staging';
const RESTORE = ['php', 'artisan', 'benchcode:restore-metadata', 'metadata/2026-12-05.json.enc', '--force'];

let h: Harness;
let services: BenchCodeServices;
let kube: FakeKubernetes;
let exec: FakeKubeExec;
let slack: ReturnType<typeof slackRuns>;

/**
 * The degraded-mode entry the example keeps as a comment (the runbook has no API for it), parsed from the
 * example so that the template stays valid.
 */
function degradedTemplate(): Record<string, unknown> {
  const lines = EXAMPLE.split('\n');
  const start = lines.findIndex((line) => /^\s*# degraded:/.test(line));
  const indent = lines[start]?.indexOf('#') ?? 0;
  const block: string[] = [];
  for (const line of lines.slice(start)) {
    if (line.indexOf('#') !== indent || !/^\s*#( |$)/.test(line)) break;
    block.push(line.slice(indent + 2));
  }
  return parse(block.join('\n')).degraded;
}

/**
 * The example against the fixture system, and, test-only, its degraded-mode template pointed at the admin
 * endpoint the example assumed before issue 16 (`PUT /admin/degraded-mode`), which the runbook does not have.
 */
function configText(): string {
  const config = parse(EXAMPLE);
  config.workspace.health_probe_every = 'off';
  const benchcode = config.services.benchcode;
  const degraded = degradedTemplate() as { apply: { http: { on: { url: string }; off: { url: string } } } };
  degraded.apply.http.on.url = '${BENCHCODE_URL}/admin/degraded-mode';
  degraded.apply.http.off.url = '${BENCHCODE_URL}/admin/degraded-mode';
  benchcode.actions['old-degraded'] = degraded;
  benchcode.allowed_hosts = [new URL(services.laravelUrl).host];
  return stringify(config);
}

beforeAll(async () => {
  services = await new BenchCodeServices().start();
  kube = await new FakeKubernetes().start();
  exec = new FakeKubeExec(kube);
  h = await startHarness(
    { incidentTickMs: 60_000 },
    {
      configText: configText(),
      env: {
        KUBECONFIG: kube.kubeconfig(['prod', 'staging']),
        BENCHCODE_URL: services.laravelUrl,
        BENCHCODE_PYTHON_SERVICE_URL: services.inferenceUrl,
        // Connectivity only: the runbook names no table, so any PostgreSQL database will do.
        BENCHCODE_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
      },
    },
  );
  slack = slackRuns(h);
});
afterAll(async () => {
  await h?.close();
  await kube?.stop();
  await services?.stop();
});
beforeEach(() => {
  services.reset();
  exec.reset();
  kube.requests.length = 0;
  kube.deployments.clear();
  kube.replicaSets.length = 0;
  kube.pods.length = 0;
  kube.clearJobsAndLogs();
  kube.addDeployment(PROD, 'laravel', { revisions: 3, replicas: 2 });
  kube.addDeployment(STAGING, 'laravel', { revisions: 3, replicas: 1 });
});

/** The Jobs opsbot created: namespace and command of each. */
function jobsCreated(): { namespace: string; command: string[][] }[] {
  return kube
    .requestsTo('jobs')
    .filter((r) => r.method === 'POST')
    .map((r) => {
      const body = r.body as {
        metadata: { namespace?: string };
        spec: { template: { spec: { containers: { command: string[] }[] } } };
      };
      return {
        namespace: r.path.split('/')[5] ?? '',
        command: body.spec.template.spec.containers.map((c) => c.command),
      };
    });
}

describe('BenchCode (runbook 000) from Slack, against its fixture system', () => {
  it("health: Laravel's /up, the inference service's /health (non-200 and latency) and database connectivity", async () => {
    const healthy = await slack.reply('status benchcode');
    expect(healthy).toContain('*benchcode* :white_check_mark: healthy');
    expect(healthy).toMatch(/:white_check_mark: laravel — 200 \(\d+ ms\)/);
    expect(healthy).toMatch(/:white_check_mark: inference — 200 \(\d+ ms\)/);
    expect(healthy).toMatch(/:white_check_mark: database — 1 \(\d+ ms\)/);
    expect(services.calls).toEqual([
      { method: 'GET', path: '/laravel/up' },
      { method: 'GET', path: '/inference/health' },
    ]);

    services.inference = { status: 503, delayMs: 0 };
    expect(await slack.reply('status benchcode')).toMatch(
      /:red_circle: inference — answered 503, expected 200 \(\d+ ms\)/,
    );
    services.inference = { status: 200, delayMs: 1100 };
    expect(await slack.reply('status benchcode')).toMatch(
      /:warning: inference — 200, slower than its 1000 ms budget \(\d+ ms\)/,
    );
  });

  it('metadata-backup: plan, Confirm, php artisan benchcode:backup-metadata --with-messages as a Job in production', async () => {
    kube.jobScript = { batches: [['Wrote metadata/2026-12-05.json.enc']], end: { exitCode: 0 } };
    const { plan, runId, ts } = await slack.request('metadata-backup benchcode');
    expect(plan).toContain('`php artisan benchcode:backup-metadata --with-messages` as Job');
    expect(plan).toContain(`from laravel's pod template in ${PROD}`);
    expect(jobsCreated()).toEqual([]);
    const run = await slack.confirm(runId, ts);
    expect(run.state).toBe('succeeded');
    expect(jobsCreated()).toEqual([
      { namespace: PROD, command: [['php', 'artisan', 'benchcode:backup-metadata', '--with-messages']] },
    ]);
  });

  it('disk-headroom runs on request: df -h in a ready Laravel pod, its output in the thread', async () => {
    exec.command = async (session) => {
      await session.stdout(
        'Filesystem      Size  Used Avail Use% Mounted on\noverlay          50G   41G  9.0G  82% /\n',
      );
      session.exit(0);
    };
    const { runId, ts } = await slack.request('disk-headroom benchcode');
    const run = await slack.finished(runId, ts);
    expect(run.state).toBe('succeeded');
    expect(exec.calls.map((c) => [c.namespace, c.pod, c.command])).toEqual([
      [PROD, 'laravel-h3-1', ['df', '-h']],
    ]);
    expect(slack.hasOutputInThread(ts)).toBe(true);
    await eventually(() => expect(slack.outputs('df -h in laravel-h3-1').at(-1)).toContain('9.0G  82% /'));
  });

  it('restore-metadata runs on staging only, approved by a second operator; a bad file name and production are refused', async () => {
    expect(await slack.refusedParams('restore-metadata benchcode-staging ../../.env')).toContain(
      'Must match',
    );
    expect(await slack.reply('restore-metadata benchcode 2026-12-05.json.enc')).toContain(
      'benchcode has no action `restore-metadata`; it is configured for benchcode-staging.',
    );

    kube.jobScript = { batches: [['Restored 12 organisations, 340 users']], end: { exitCode: 0 } };
    const { plan, runId, ts } = await slack.request('restore-metadata benchcode-staging 2026-12-05.json.enc');
    expect(plan).toContain(`\`${RESTORE.join(' ')}\` as Job`);
    expect(plan).toContain(`from laravel's pod template in ${STAGING}`);
    const run = await slack.confirmAndApprove(runId, ts);
    expect(run.state).toBe('succeeded');
    expect(jobsCreated()).toEqual([{ namespace: STAGING, command: [RESTORE] }]);
  });

  it('degraded mode: the substring allow-list is said in the plan; the admin endpoint assumed before issue 16 does not exist', async () => {
    const { plan, runId, ts } = await slack.request('old-degraded benchcode on llama3.2,qwen2.5-coder:1.5b');
    expect(plan).toContain(
      'The service matches the allow-list as substrings: `llama3.2` also lets through `llama3.2-vision:90b`; `qwen2.5-coder:1.5b` lets through no other known model.',
    );
    const run = await slack.confirm(runId, ts);
    expect(run.state).toBe('failed');
    expect(run.error).toMatch(
      /^PUT http:\/\/127\.0\.0\.1:\d+\/laravel\/admin\/degraded-mode answered 404 Not Found/,
    );
    expect(services.calls.at(-1)).toEqual({ method: 'PUT', path: '/laravel/admin/degraded-mode' });
  });
});
