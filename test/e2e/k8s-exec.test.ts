import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { blockText } from '../support/cards.js';
import { eventually } from '../support/databases.js';
import { FakeKubeExec } from '../support/fake-kube-exec.js';
import { FakeKubernetes } from '../support/fake-kubernetes.js';
import { type Harness, startHarness, testConfigText } from '../support/harness.js';
import { slackRuns } from '../support/seed-runs.js';

const NS = 'bentham-prod';
/** Bentham's database password, which the harness puts in BENTHAM_DATABASE_URL: opsbot knows it as a secret. */
const DB_PASSWORD = 's3cret-db-password';
/** Token-shaped, and configured nowhere: redacted by its shape. */
const SLACK_TOKEN = 'xoxb-4242424242-printedbyacommand';

let h: Harness;
let runs: ReturnType<typeof slackRuns>;
let kube: FakeKubernetes;
let exec: FakeKubeExec;

/**
 * The Bentham example (with its disable-surface and enable-surface) and two test-only k8s.exec actions whose
 * commands exist only in the fake API server: one that prints what the test scripts, one with a 1 s timeout.
 */
function configText(): string {
  const config = parse(testConfigText());
  const common = { kind: 'k8s.exec', deployment: 'executor', role: 'operator', risk: 'medium' };
  config.services.bentham.actions = {
    ...config.services.bentham.actions,
    'exec-print': {
      ...common,
      summary: 'Test: print a report',
      command: ['print-report', '{report}'],
      params: { report: { type: 'string' } },
      timeout: '60s',
    },
    'exec-hang': { ...common, summary: 'Test: wait for a lock', command: ['wait-for-lock'], timeout: '1s' },
  };
  return stringify(config);
}

/** The run's action_runs.exit_code. */
async function exitCodeOf(runId: string): Promise<number | null> {
  const { rows } = await h.db.query('SELECT exit_code FROM action_runs WHERE id = $1', [runId]);
  return rows[0]?.exit_code ?? null;
}

beforeAll(async () => {
  kube = await new FakeKubernetes().start();
  exec = new FakeKubeExec(kube);
  h = await startHarness(
    { incidentTickMs: 60_000 },
    { env: { KUBECONFIG: kube.kubeconfig(['prod']) }, configText: configText() },
  );
  runs = slackRuns(h);
});
afterAll(async () => {
  await h?.close();
  await kube?.stop();
});
beforeEach(() => {
  exec.reset();
  kube.requests.length = 0;
  kube.deployments.clear();
  kube.replicaSets.length = 0;
  kube.pods.length = 0;
  kube.addDeployment(NS, 'api-gateway', { revisions: 4, replicas: 3 });
  kube.addDeployment(NS, 'orchestrator', { revisions: 1, replicas: 2 });
  // executor-h2-0 is not ready; executor-h2-1 is.
  kube.addDeployment(NS, 'executor', { revisions: 2, replicas: 2 });
});

describe('k8s.exec from Slack', () => {
  it("Bentham's surface disable, then enable, from an incident channel: plan, Confirm, output in the thread, result on the card and the timeline", async () => {
    exec.command = async (session) => {
      const [, , verb, surface] = session.call.command;
      await session.stdout(`Surface ${surface} ${verb}d\n`);
      session.exit(0);
    };
    const incident = await runs.declare('openai-api answers 500s');

    for (const verb of ['disable', 'enable']) {
      const { card, runId, ts } = await runs.request(
        `${verb}-surface bentham openai-api`,
        'U0ALICE',
        incident.channel,
      );
      expect(blockText(card)).toContain(
        `Run \`pnpm admin:surface ${verb} openai-api\` in pod executor-h2-1 (container executor, image registry.example/executor:1.2) of executor in ${NS}; it is stopped after 2m.`,
      );
      expect(exec.calls).toEqual([]);

      const run = await runs.confirm(runId, ts, incident.channel);
      const result = `\`pnpm admin:surface ${verb} openai-api\` exited with code 0 in executor-h2-1 (container executor): 1 line of output, shown in the thread.`;
      expect(run.state).toBe('succeeded');
      expect(run.card).toContain(result);
      expect(await exitCodeOf(runId)).toBe(0);
      expect(exec.calls.map((call) => [call.pod, call.container, call.command])).toEqual([
        ['executor-h2-1', 'executor', ['pnpm', 'admin:surface', verb, 'openai-api']],
      ]);
      const thread = h.slack.of('chat.postMessage').filter((m) => m.thread_ts === ts);
      expect(thread.some((m) => String(m.text).startsWith('*Output* of'))).toBe(true);
      await eventually(() =>
        expect(runs.outputs()).toContainEqual(
          `*Output* of \`pnpm admin:surface ${verb} openai-api in executor-h2-1\` — exit code 0 (1 line)\n\`\`\`\nSurface openai-api ${verb}d\n\`\`\``,
        ),
      );
      await eventually(async () => {
        const { rows } = await h.db.query(
          "SELECT text FROM incident_events WHERE incident_id = $1 AND kind = 'action' AND source = $2",
          [incident.id, `run:${runId}`],
        );
        expect(rows.map((row) => row.text)).toEqual([
          `${verb}-surface bentham surface=openai-api: succeeded — ${result}`,
        ]);
      });
      exec.calls.length = 0;
    }
  });

  it('a secret the command prints reaches neither Slack, the logs nor the audit', async () => {
    exec.command = async (session) => {
      await session.stdout(
        `connecting to postgres://bentham:${DB_PASSWORD}@db-primary.bentham.io:5432/bentham\n`,
      );
      await session.stderr(
        `error: the password ${DB_PASSWORD} was refused; slack said no to ${SLACK_TOKEN}\n`,
      );
      session.exit(1);
    };
    const { runId, ts } = await runs.request('exec-print bentham credentials');
    const run = await runs.confirm(runId, ts);
    expect(run.state).toBe('failed');
    // Kept for a runbook's `when: { step, exit_code }`.
    expect(await exitCodeOf(runId)).toBe(1);
    expect(run.error).toBe(
      '`print-report credentials` exited with code 1 in executor-h2-1 (container executor); last lines: ' +
        // The run's error also drops any user:password@ from URLs (describeError).
        'connecting to postgres://[redacted]@db-primary.bentham.io:5432/bentham ⏎ ' +
        'error: the password [redacted] was refused; slack said no to [redacted].',
    );
    await eventually(() =>
      expect(runs.outputs().at(-1)).toContain('error: the password [redacted] was refused'),
    );

    const slack = JSON.stringify(h.slack.calls.map((call) => call.args));
    const audit = JSON.stringify(
      (await h.db.query('SELECT * FROM audit_log')).rows.concat(
        (await h.db.query('SELECT * FROM action_runs')).rows,
      ),
    );
    for (const secret of [DB_PASSWORD, SLACK_TOKEN]) {
      expect(slack).not.toContain(secret);
      expect(h.logs.join('')).not.toContain(secret);
      expect(audit).not.toContain(secret);
    }
    expect(audit).toContain('slack said no to [redacted]');
  });

  it('10 MB of output: the message shows the last lines that fit, the whole redacted output is uploaded as a file', async () => {
    const lines = Array.from(
      { length: 100_000 },
      (_, i) =>
        `line ${String(i).padStart(6, '0')} ${i % 1000 === 0 ? DB_PASSWORD : 'x'.repeat(18)} ${'.'.repeat(70)}`,
    );
    exec.command = async (session) => {
      for (let i = 0; i < lines.length; i += 600) {
        await session.stdout(`${lines.slice(i, i + 600).join('\n')}\n`);
      }
      session.exit(0);
    };
    const uploadsBefore = h.slack.of('upload').length;
    const { runId, ts } = await runs.request('exec-print bentham everything');
    const run = await runs.confirm(runId, ts);
    expect(run.state).toBe('succeeded');
    expect(run.card).toContain('100000 lines of output');

    const upload = await eventually(() => {
      const uploads = h.slack.of('upload').slice(uploadsBefore);
      expect(uploads).toHaveLength(1);
      return uploads[0] as { bytes: Buffer };
    });
    const whole = `${lines.join('\n').replaceAll(DB_PASSWORD, '[redacted]')}\n`;
    expect(upload.bytes.length).toBeGreaterThan(10_000_000);
    expect(upload.bytes.equals(Buffer.from(whole))).toBe(true);
    const shown = runs.outputs().filter((text) => text.includes('print-report everything'));
    expect(shown.at(-1)).toMatch(/— exit code 0\b.*\(100000 lines, last \d+ shown\)/);
    expect(shown.at(-1)).toContain('line 099999');
    for (const text of shown) expect(text.length).toBeLessThan(3_500);
  });

  it('a command that hangs is stopped at its timeout and the run fails in one sentence', async () => {
    exec.command = async (session) => {
      await session.stdout('waiting for the lock…\n');
    };
    const { runId, ts } = await runs.request('exec-hang bentham');
    const run = await runs.confirm(runId, ts);
    expect(run.state).toBe('failed');
    const sentence =
      '`wait-for-lock` did not finish within 1s and was stopped: opsbot closed its exec session in executor-h2-1 (container executor).';
    expect(run.error).toBe(sentence);
    expect(run.card).toContain(sentence);
    await eventually(() => expect(exec.calls[0]?.closedByClient).toBe(true));
  });

  it('a pod that is not ready is never chosen: with none ready, the plan fails in one sentence', async () => {
    const ready = kube.pods.find((pod) => pod.metadata.name === 'executor-h2-1');
    (ready?.status as { conditions: { type: string; status: string }[] }).conditions = [
      { type: 'Ready', status: 'False' },
    ];
    const { card } = await runs.request('disable-surface bentham openai-api');
    expect(blockText(card)).toContain(
      `Planning failed: executor has no running, ready pod in namespace ${NS} to run the command in (2 pods, none ready).`,
    );
    expect(exec.calls).toEqual([]);
  });
});
