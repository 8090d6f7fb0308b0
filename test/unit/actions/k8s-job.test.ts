import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { K8sJobSchema, k8sJobKind } from '../../../src/actions/k8s-job.js';
import type { ParamValues } from '../../../src/actions/params.js';
import type { ActionContext, OutputStream } from '../../../src/actions/types.js';
import { parseOpsConfig } from '../../../src/config/load.js';
import { crossCheck } from '../../../src/config/ops-config.js';
import { ConflictError, UnavailableError } from '../../../src/errors.js';
import { CommandExitError } from '../../../src/exec/command-exit.js';
import { jobName } from '../../../src/kubernetes/job.js';
import { KubernetesTargets } from '../../../src/targets/kubernetes.js';
import { testContext } from '../../support/action-context.js';
import { FakeKubernetes } from '../../support/fake-kubernetes.js';

const NS = 'bentham-prod';
const RUN = 'run_5d41402abc4b';
const JOB = 'executor-run-5d41402abc4b';
const CONFIG = `
workspace: { ops_channel: C0OPS }
services:
  bentham:
    environment: production
    kubernetes: { context: prod, namespace: ${NS}, deployments: [executor, api-gateway] }
`;

let kube: FakeKubernetes;
let targets: KubernetesTargets;

beforeAll(async () => {
  kube = await new FakeKubernetes().start();
  targets = new KubernetesTargets(parseOpsConfig(CONFIG, {}).services, kube.kubeconfig(['prod']));
});
afterAll(async () => {
  await kube?.stop();
});
beforeEach(() => {
  kube.requests.length = 0;
  kube.failWith = undefined;
  kube.deployments.clear();
  kube.replicaSets.length = 0;
  kube.pods.length = 0;
  kube.clearJobsAndLogs();
  kube.addDeployment(NS, 'executor', { revisions: 2, replicas: 1 });
  kube.addDeployment(NS, 'api-gateway', { revisions: 1, replicas: 1 });
});

function action(fields: Record<string, unknown> = {}) {
  return K8sJobSchema.parse({
    kind: 'k8s.job',
    deployment: 'executor',
    command: ['node', 'scripts/backup.js'],
    timeout: '2m',
    ...fields,
  });
}

/** An output stream that keeps what was written and how it was closed. */
function recorded() {
  let text = '';
  let outcome: string | undefined;
  const stream: OutputStream = {
    write: (chunk) => {
      text += String(chunk);
    },
    lastLines: (n) => text.split('\n').filter(Boolean).slice(-n),
    close: async (said) => {
      outcome = said;
    },
  };
  return { stream, text: () => text, outcome: () => outcome };
}

function context(output = recorded(), params: ParamValues = {}, runId = RUN): ActionContext {
  return testContext({
    runId,
    params,
    kubernetes: () => targets.target('bentham'),
    output: () => output.stream,
  });
}

const posts = () => kube.requestsTo('jobs').filter((r) => r.method === 'POST');

describe('k8s.job', () => {
  it('plans without writing: deployment, container, image, exact argv, the Job name and deadline', async () => {
    const config = action({
      command: ['node', 'scripts/backup.js', '--label', '{label}'],
      params: { label: { type: 'string' } },
    });
    const plan = await k8sJobKind.plan(config, context(recorded(), { label: "it's a; $(test)" }));
    expect(plan.summary).toBe(
      `Run \`node scripts/backup.js --label 'it'\\''s a; $(test)'\` as Job ${JOB} (named <deployment>-<run id>) from executor's pod template in ${NS} (container executor, image registry.example/executor:1.2); Kubernetes kills it after 2m and removes it 1h after it ends.`,
    );
    expect(plan.table?.rows[0]).toEqual([
      JOB,
      'executor',
      'executor',
      'registry.example/executor:1.2',
      "node scripts/backup.js --label 'it'\\''s a; $(test)'",
      '2m',
      'not created yet',
    ]);
    expect(kube.requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it("creates exactly this Job from the deployment's template as served: the chosen container alone, argv as its command", async () => {
    const deployment = kube.deployments.get(`${NS}/executor`);
    const template = deployment?.spec.template as {
      metadata: Record<string, unknown>;
      spec: Record<string, unknown>;
    };
    template.metadata.labels = { app: 'executor', tier: 'batch' };
    template.spec = {
      ...template.spec,
      serviceAccountName: 'executor',
      volumes: [{ name: 'keys', secret: { secretName: 'backup-keys' } }],
      containers: [
        { name: 'proxy', image: 'registry.example/proxy:3' },
        {
          name: 'executor',
          image: 'registry.example/executor:1.2',
          args: ['serve'],
          env: [{ name: 'BACKUP_KEY', valueFrom: { secretKeyRef: { name: 'backup-keys', key: 'key' } } }],
          volumeMounts: [{ name: 'keys', mountPath: '/keys' }],
          livenessProbe: { httpGet: { path: '/up', port: 8080 } },
          readinessProbe: { httpGet: { path: '/up', port: 8080 } },
          futureContainerField: { mode: 'm2' },
        },
      ],
    };
    kube.jobScript = { batches: [['done']], end: { exitCode: 0 } };
    const param = 'a b "c" ; $(rm -rf /)\nnext';
    const config = action({
      container: 'executor',
      command: ['node', 'scripts/backup.js', '--label={label}'],
      params: { label: { type: 'string' } },
    });
    await k8sJobKind.execute(config, context(recorded(), { label: param }));
    expect(posts()).toHaveLength(1);
    expect(posts()[0]?.body).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: JOB,
        labels: {
          'app.kubernetes.io/managed-by': 'opsbot',
          'opsbot/run-id': RUN,
          'opsbot/deployment': 'executor',
        },
        annotations: { 'opsbot/service': 'bentham' },
      },
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: 120,
        ttlSecondsAfterFinished: 3600,
        template: {
          metadata: {
            creationTimestamp: null,
            // `app` is what the deployment selects by: kept off, so no Service routes to the Job's pod.
            labels: { tier: 'batch', 'app.kubernetes.io/managed-by': 'opsbot', 'opsbot/run-id': RUN },
            annotations: { 'example.com/build': 'b2' },
          },
          spec: {
            serviceAccountName: 'executor',
            volumes: [{ name: 'keys', secret: { secretName: 'backup-keys' } }],
            futurePodField: { revision: 2, rules: [{ kind: 'strict', values: [1, null, true] }] },
            restartPolicy: 'Never',
            containers: [
              {
                name: 'executor',
                image: 'registry.example/executor:1.2',
                env: [
                  { name: 'BACKUP_KEY', valueFrom: { secretKeyRef: { name: 'backup-keys', key: 'key' } } },
                ],
                volumeMounts: [{ name: 'keys', mountPath: '/keys' }],
                futureContainerField: { mode: 'm2' },
                command: ['node', 'scripts/backup.js', `--label=${param}`],
              },
            ],
          },
        },
      },
    });
  });

  it("streams the pod's log lines as they come, each exactly once, and succeeds with a summary", async () => {
    kube.jobScript = { batches: [['one', 'two'], ['two', 'three'], ['four']], end: { exitCode: 0 } };
    const output = recorded();
    const progress: string[] = [];
    const result = await k8sJobKind.execute(
      action(),
      testContext({
        runId: RUN,
        kubernetes: () => targets.target('bentham'),
        output: () => output.stream,
        progress: (message) => progress.push(message),
      }),
    );
    expect(output.text()).toBe('one\ntwo\ntwo\nthree\nfour\n');
    expect(output.outcome()).toBe('exit code 0');
    expect(result.exitCode).toBe(0);
    expect(result.summary).toMatch(
      new RegExp(`^Job ${JOB} completed in \\d+s: 5 lines of output, shown in the thread\\.$`),
    );
    expect(progress).toContain(`Job ${JOB}: pod ${JOB}-x7k2p ContainerCreating.`);
    // The log is read only once the container has started, then from the second of the last line read.
    const reads = kube.requestsTo('log');
    expect(reads).toHaveLength(4);
    expect(reads[0]?.query.get('sinceTime')).toBeNull();
    const written = kube.logs.get(`${NS}/${JOB}-x7k2p/executor`) ?? [];
    expect(reads[1]?.query.get('sinceTime')).toBe(written[1]?.at.replace(/\.\d+Z$/, 'Z'));
    for (const read of reads) {
      expect(read.query.get('container')).toBe('executor');
      expect(read.query.get('timestamps')).toBe('true');
    }
  });

  it('reads the lines a Job wrote as it ended, after it ended', async () => {
    kube.jobScript = { batches: [['first'], ['second', 'third']], end: { exitCode: 0 }, endAfterReads: 1 };
    const output = recorded();
    await k8sJobKind.execute(action(), context(output));
    expect(output.text()).toBe('first\nsecond\nthird\n');
  });

  it('a non-zero exit fails the run naming the exit code, with the last 10 lines', async () => {
    const lines = Array.from({ length: 12 }, (_, i) => `line ${i + 1}`);
    kube.jobScript = { batches: [lines.slice(0, 6), lines.slice(6)], end: { exitCode: 3 } };
    const output = recorded();
    const run = k8sJobKind.execute(action(), context(output));
    await expect(run).rejects.toBeInstanceOf(CommandExitError);
    await expect(run).rejects.toMatchObject({ exitCode: 3 });
    await expect(run).rejects.toThrow(
      `Job ${JOB} failed: its command exited with code 3; last lines: ${lines.slice(2).join(' ⏎ ')}`,
    );
    expect(output.outcome()).toBe('exit code 3');
  });

  it('a Job Kubernetes kills at its deadline fails in one sentence, though its pod is gone', async () => {
    kube.jobScript = { batches: [['starting']], end: 'deadline' };
    const run = k8sJobKind.execute(action(), context());
    await expect(run).rejects.toThrow(
      `Job ${JOB} was killed by Kubernetes at its 2m deadline; last lines: starting`,
    );
  });

  it("on opsbot's own timeout, deletes the Job (background propagation) so its pod is killed", async () => {
    kube.jobScript = { batches: [['working…']], end: 'hang' };
    const output = recorded();
    const run = k8sJobKind.execute(action({ timeout: '1s' }), context(output));
    await expect(run).rejects.toThrow(UnavailableError);
    await expect(run).rejects.toThrow(
      `Job ${JOB} did not finish within 1s, so opsbot deleted it and its pod.`,
    );
    const deletes = kube.requestsTo('jobs').filter((r) => r.method === 'DELETE');
    expect(deletes.map((r) => [r.path, r.query.get('propagationPolicy')])).toEqual([
      [`/apis/batch/v1/namespaces/${NS}/jobs/${JOB}`, 'Background'],
    ]);
    expect(kube.jobs).toEqual([]);
    expect(kube.pods.some((pod) => pod.metadata.name.startsWith(JOB))).toBe(false);
    expect(output.text()).toBe('working…\n');
    expect(output.outcome()).toBe('stopped after 1s');
  });

  it('a Job whose pod never starts says so when it is given up, with where its pod stood', async () => {
    kube.jobScript = { batches: [], end: 'hang', starts: false };
    const output = recorded();
    const run = k8sJobKind.execute(action({ timeout: '1s' }), context(output));
    await expect(run).rejects.toThrow(
      `Job ${JOB} did not finish within 1s, its command never having started (last seen: pod ${JOB}-x7k2p ImagePullBackOff), so opsbot deleted it and its pod.`,
    );
    expect(kube.requestsTo('log')).toEqual([]);
    expect(output.outcome()).toBe('stopped after 1s');
  });

  it("on opsbot's own timeout, ends the output even when the Job cannot be deleted", async () => {
    kube.jobScript = { batches: [['working…']], end: 'hang' };
    kube.failWith = (request) => (request.method === 'DELETE' ? 500 : undefined);
    const output = recorded();
    const run = k8sJobKind.execute(action({ timeout: '1s' }), context(output));
    await expect(run).rejects.toThrow(
      new RegExp(
        `^Job ${JOB} did not finish within 1s, and opsbot could not delete it \\(Kubernetes answered 500 for job ${JOB} in namespace ${NS} \\(context prod\\): the fake API server failed DELETE [^)]+\\); see kubectl get job ${JOB} -n ${NS}\\.$`,
      ),
    );
    expect(output.outcome()).toBe('stopped after 1s');
  });

  it('a redelivered run finds its own Job: refused when not idempotent, followed when idempotent', async () => {
    kube.jobScript = { batches: [['backed up']], end: { exitCode: 0 } };
    await k8sJobKind.execute(action(), context());
    expect(posts()).toHaveLength(1);

    const again = k8sJobKind.execute(action(), context());
    await expect(again).rejects.toThrow(ConflictError);
    await expect(again).rejects.toThrow(
      `Job ${JOB} already exists from an earlier attempt of this run, and this action is not idempotent, so opsbot neither starts nor follows it again; see kubectl get job ${JOB} -n ${NS}.`,
    );

    const output = recorded();
    const followed = await k8sJobKind.execute(action({ idempotent: true }), context(output));
    expect(followed.summary).toContain(`Job ${JOB} completed`);
    expect(output.text()).toBe('backed up\n');
    expect(posts()).toHaveLength(3);
    expect(kube.jobs).toHaveLength(1);
    expect(kube.requestsTo('jobs').filter((r) => r.method === 'DELETE')).toEqual([]);
  });

  it('never follows a Job of its name made for another run', async () => {
    kube.jobs.push({
      metadata: { name: JOB, namespace: NS, labels: { 'opsbot/run-id': 'run_somebodyelse' } },
      spec: {},
      status: { active: 1 },
    });
    await expect(k8sJobKind.execute(action({ idempotent: true }), context())).rejects.toThrow(
      `A Job called ${JOB} already exists and was not made for this run; see kubectl get job ${JOB} -n ${NS}.`,
    );
  });

  it('refuses a container the template does not have, and a deployment the service does not list', async () => {
    await expect(k8sJobKind.plan(action({ container: 'worker' }), context())).rejects.toThrow(
      "executor's pod template has no container worker (it has executor).",
    );
    await expect(k8sJobKind.plan(action({ deployment: 'db' }), context())).rejects.toThrow(
      'db is not one of the deployments opsbot may touch here (executor, api-gateway).',
    );
    expect(posts()).toEqual([]);
  });

  it('names Jobs <deployment>-<run id> within 63 characters', () => {
    expect(jobName('executor', 'run_5d41402abc4b')).toBe(JOB);
    const long = jobName(
      'a-very-long-deployment-name-that-goes-on-and-on-and-on-forever',
      'run_5d41402abc4b',
    );
    expect(long).toBe('a-very-long-deployment-name-that-goes-on-and-o-run-5d41402abc4b');
    expect(long.length).toBeLessThanOrEqual(63);
  });
});

describe('k8s.job config', () => {
  const service = (actions: Record<string, unknown>) => ({
    services: {
      bentham: {
        environment: 'staging',
        kubernetes: { context: 'prod', namespace: NS, deployments: ['executor'] },
        actions,
      },
    },
  });

  it('defaults: not idempotent, 30m timeout, a summary saying what runs from where', () => {
    const config = K8sJobSchema.parse({ kind: 'k8s.job', deployment: 'executor', command: ['node', 'x.js'] });
    expect(k8sJobKind.idempotent(config)).toBe(false);
    expect(config.timeout).toBe(30 * 60_000);
    expect(config.summary).toBe('Run node x.js as a Job from executor');
  });

  it('reports an unlisted deployment, an undeclared param and shell syntax', () => {
    expect(
      crossCheck(service({ backup: { kind: 'k8s.job', deployment: 'executor', command: ['node', 'x.js'] } })),
    ).toEqual([]);
    expect(
      crossCheck(
        service({
          backup: {
            kind: 'k8s.job',
            deployment: 'worker',
            command: ['node', 'x.js', '{target}', '|', 'tee'],
          },
        }),
      ),
    ).toEqual([
      {
        path: ['services', 'bentham', 'actions', 'backup', 'deployment'],
        message: "is not one of the service's kubernetes deployments (executor)",
      },
      {
        path: ['services', 'bentham', 'actions', 'backup', 'command'],
        message: "uses {target}, which is not one of the action's params",
      },
      {
        path: ['services', 'bentham', 'actions', 'backup', 'command', 3],
        message:
          'is shell syntax, but the command runs without a shell (argv only), so it would be passed as text; run a script in the image instead',
      },
    ]);
  });
});
