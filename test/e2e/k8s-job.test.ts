import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { blockText } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { exampleVars } from '../support/example-vars.js';
import { FakeKubernetes, KUBE_TOKEN } from '../support/fake-kubernetes.js';
import { type Harness, startHarness } from '../support/harness.js';
import { slackRuns } from '../support/seed-runs.js';

/** The namespace and deployment examples/benchcode.ops.yml names (the runbook names none). */
const NS = 'benchcode';
const COMMAND = ['php', 'artisan', 'benchcode:backup-metadata', '--with-messages'];

let h: Harness;
let runs: ReturnType<typeof slackRuns>;
let kube: FakeKubernetes;
let vars: Record<string, string>;

/** The BenchCode example as it is, with the health probe off (its URLs are not reachable from tests). */
function configText(): string {
  const config = parse(readFileSync(new URL('../../examples/benchcode.ops.yml', import.meta.url), 'utf8'));
  config.workspace.health_probe_every = 'off';
  return stringify(config);
}

beforeAll(async () => {
  kube = await new FakeKubernetes().start();
  // BenchCode's database and HTTP endpoints are not used here: addresses nothing answers on.
  vars = exampleVars('127.0.0.1:9', 'postgres://postgres@127.0.0.1:9/benchcode', () => 'http://127.0.0.1:9');
  // The example no longer names the backup key (artisan reads it in the pod); opsbot redacts it when its own
  // environment holds it, as a secret-named variable.
  process.env.BENCHCODE_BACKUP_KEY = vars.BENCHCODE_BACKUP_KEY;
  h = await startHarness(
    { incidentTickMs: 60_000 },
    { env: { ...vars, KUBECONFIG: kube.kubeconfig(['prod', 'staging']) }, configText: configText() },
  );
  runs = slackRuns(h);
});
afterAll(async () => {
  delete process.env.BENCHCODE_BACKUP_KEY;
  await h?.close();
  await kube?.stop();
});
beforeEach(() => {
  kube.requests.length = 0;
  kube.deployments.clear();
  kube.replicaSets.length = 0;
  kube.pods.length = 0;
  kube.clearJobsAndLogs();
  kube.addDeployment(NS, 'laravel', { revisions: 3, replicas: 2 });
});

/** The texts of a Job's output message in its run's thread, as posted and as each edit left it. */
function outputOf(job: string): string[] {
  return runs.outputs(`in Job ${job}\``);
}

describe('the BenchCode metadata backup as a k8s.job, from Slack', () => {
  it('plan on the card, Confirm, the Job created, its log streamed to the thread (secret redacted), the result on the card', async () => {
    const key = vars.BENCHCODE_BACKUP_KEY as string;
    kube.jobScript = {
      batches: [
        ['Backing up governance tables…', `using key ${key}`],
        ['organisations: 12 rows', 'users: 340 rows'],
        ['Wrote metadata/2026-12-05.json.enc'],
      ],
      end: { exitCode: 0 },
    };
    const { card, runId, ts } = await runs.request('metadata-backup benchcode');
    const job = `laravel-${runId.replace('_', '-')}`;
    expect(blockText(card)).toContain(
      `Run \`php artisan benchcode:backup-metadata --with-messages\` as Job ${job} (named <deployment>-<run id>) from laravel's pod template in ${NS} (container laravel, image registry.example/laravel:1.3); Kubernetes kills it after 30m and removes it 1h after it ends.`,
    );
    expect(kube.requestsTo('jobs')).toEqual([]);

    const run = await runs.confirm(runId, ts);
    expect(run.state).toBe('succeeded');
    expect(run.card).toMatch(
      new RegExp(`Job ${job} completed in \\d+s: 5 lines of output, shown in the thread\\.`),
    );

    const created = kube.requestsTo('jobs').filter((r) => r.method === 'POST');
    expect(created).toHaveLength(1);
    const body = created[0]?.body as {
      metadata: { name: string; labels: Record<string, string> };
      spec: { activeDeadlineSeconds: number; template: { spec: { containers: { command: string[] }[] } } };
    };
    expect(body.metadata.name).toBe(job);
    expect(body.metadata.labels['opsbot/run-id']).toBe(runId);
    expect(body.spec.activeDeadlineSeconds).toBe(1800);
    expect(body.spec.template.spec.containers.map((c) => c.command)).toEqual([COMMAND]);

    await eventually(() =>
      expect(outputOf(job)).toContainEqual(
        `*Output* of \`php artisan benchcode:backup-metadata --with-messages in Job ${job}\` — exit code 0 (5 lines)\n` +
          '```\nBacking up governance tables…\nusing key [redacted]\norganisations: 12 rows\nusers: 340 rows\nWrote metadata/2026-12-05.json.enc\n```',
      ),
    );
    const thread = h.slack.of('chat.postMessage').filter((m) => m.thread_ts === ts);
    expect(thread.some((m) => String(m.text).startsWith(`*Output* of \`php artisan`))).toBe(true);
    const said = JSON.stringify(h.slack.calls);
    expect(said).not.toContain(key);
    expect(said).not.toContain(KUBE_TOKEN);
    expect(h.logs.join('')).not.toContain(key);
    const audit = await h.db.query('SELECT detail::text AS detail FROM audit_log');
    expect(audit.rows.map((row) => row.detail).join('')).not.toContain(key);
  });

  it('from an incident channel: the failed backup is on the card with its exit code and last lines, and on the timeline', async () => {
    kube.jobScript = {
      batches: [['Backing up governance tables…'], ['SQLSTATE[08006] could not connect to server']],
      end: { exitCode: 1 },
    };
    const incident = await runs.declare('Metadata backup before the migration');

    const { runId, ts } = await runs.request('metadata-backup benchcode', 'U0ALICE', incident.channel);
    const job = `laravel-${runId.replace('_', '-')}`;
    const run = await runs.confirm(runId, ts, incident.channel);
    const error = `Job ${job} failed: its command exited with code 1; last lines: Backing up governance tables… ⏎ SQLSTATE[08006] could not connect to server.`;
    expect(run).toMatchObject({ state: 'failed', error });
    expect(run.card).toContain(error);
    await eventually(async () => {
      const { rows } = await h.db.query(
        "SELECT text FROM incident_events WHERE incident_id = $1 AND kind = 'action' AND source = $2",
        [incident.id, `run:${runId}`],
      );
      expect(rows.map((row) => row.text)).toEqual([`metadata-backup benchcode: failed — ${error}`]);
    });
    await eventually(() => expect(outputOf(job).at(-1)).toMatch(/— exit code 1 \(2 lines\)/));
  });

  it('/ops pods benchcode <pod>: container states and recent events; a pod of no listed deployment is refused', async () => {
    const pod = kube.pods.find((p) => p.metadata.name === 'laravel-h3-1');
    const status = pod?.status as { containerStatuses: Record<string, unknown>[] };
    Object.assign(status.containerStatuses[0] as object, {
      ready: false,
      restartCount: 3,
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } },
      lastState: { terminated: { reason: 'Error', exitCode: 255, finishedAt: '2026-12-05T09:00:00Z' } },
    });
    kube.addEvent(NS, 'laravel-h3-1', {
      type: 'Warning',
      reason: 'Unhealthy',
      message: 'Readiness probe failed: HTTP probe failed with statuscode: 500',
      at: new Date('2026-12-05T08:59:30Z'),
      count: 4,
    });
    kube.addEvent(NS, 'laravel-h3-1', {
      type: 'Warning',
      reason: 'BackOff',
      message: 'Back-off restarting failed container laravel in pod laravel-h3-1',
      at: new Date('2026-12-05T09:00:10Z'),
    });
    kube.addEvent(NS, 'laravel-h3-0', {
      type: 'Normal',
      reason: 'Pulled',
      message: 'not this pod',
      at: new Date(),
    });

    const text = await runs.reply('pods benchcode laravel-h3-1');
    expect(text).toContain(`*laravel-h3-1* of laravel in ${NS} (context prod): Running.`);
    expect(text).toMatch(
      /laravel\s+no\s+waiting: CrashLoopBackOff \(back-off 40s…\s+3\s+terminated: Error, exit code 255 at/,
    );
    expect(text).toContain(
      '2026-12-05 08:59:30Z  Warning  Unhealthy (×4): Readiness probe failed: HTTP probe failed with statuscode: 500\n' +
        '2026-12-05 09:00:10Z  Warning  BackOff: Back-off restarting failed container laravel in pod laravel-h3-1',
    );
    expect(text).not.toContain('not this pod');

    expect(await runs.reply('pods benchcode coredns-5d78c9869d-abcde')).toContain(
      "coredns-5d78c9869d-abcde is not a pod of benchcode's deployments (laravel); `/ops pods benchcode` lists them.",
    );
    expect(kube.requestsTo('events').map((r) => r.query.get('fieldSelector'))).toEqual([
      'involvedObject.kind=Pod,involvedObject.name=laravel-h3-1',
    ]);
  });
});
