import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseOpsConfig } from '../../src/config/load.js';
import { Redactor } from '../../src/exec/redactor.js';
import { deploymentLogs } from '../../src/kubernetes/logs.js';
import { podDetail } from '../../src/kubernetes/pod-detail.js';
import { KubernetesTargets } from '../../src/targets/kubernetes.js';
import { FakeKubernetes } from '../support/fake-kubernetes.js';

const NS = 'bentham-prod';
const CONFIG = `
workspace: { ops_channel: C0OPS }
services:
  bentham:
    environment: production
    kubernetes: { context: prod, namespace: ${NS}, deployments: [api-gateway, executor] }
`;

let kube: FakeKubernetes;
let targets: KubernetesTargets;
const target = () => targets.target('bentham');
const SECRET = 's3cret-db-password';
const redact = (text: string) => new Redactor([SECRET]).redact(text);

type PodObject = FakeKubernetes['pods'][number];
const podNamed = (name: string) => kube.pods.find((pod) => pod.metadata.name === name) as PodObject;

beforeAll(async () => {
  kube = await new FakeKubernetes().start();
  targets = new KubernetesTargets(parseOpsConfig(CONFIG, {}).services, kube.kubeconfig(['prod']));
});
afterAll(async () => {
  await kube?.stop();
});
beforeEach(() => {
  kube.requests.length = 0;
  kube.deployments.clear();
  kube.replicaSets.length = 0;
  kube.pods.length = 0;
  kube.clearJobsAndLogs();
  kube.addDeployment(NS, 'api-gateway', { revisions: 4, replicas: 2 });
  kube.addDeployment(NS, 'executor', { revisions: 2, replicas: 1 });
  kube.addDeployment(NS, 'unlisted', { revisions: 1, replicas: 1 });
});

describe('deploymentLogs', () => {
  it('reads every container of every pod of the deployment with the window, timestamps parsed off each line', async () => {
    // api-gateway-h4-1 also runs a sidecar; a third pod is still creating its container, so has no log yet.
    const second = podNamed('api-gateway-h4-1');
    (second.spec.containers as unknown[]).push({ name: 'metrics', image: 'registry.example/metrics:2' });
    (second.status as { containerStatuses: unknown[] }).containerStatuses.push({
      name: 'metrics',
      ready: true,
      restartCount: 0,
    });
    kube.pods.push({
      ...structuredClone(second),
      metadata: { ...structuredClone(second.metadata), name: 'api-gateway-h4-2' },
      status: {
        phase: 'Pending',
        containerStatuses: [{ name: 'api-gateway', state: { waiting: { reason: 'ContainerCreating' } } }],
      },
    });
    kube.logs.set(`${NS}/api-gateway-h4-0/api-gateway`, [
      {
        at: '2026-01-02T03:04:05.123456789Z',
        text: '{"level":50,"msg":"upstream timeout","surface_id":"s1"}',
      },
      { at: '2026-01-02T03:04:06Z', text: '  indented with  spaces ' },
    ]);
    kube.writeLog(NS, 'api-gateway-h4-1', 'api-gateway', ['GET /health 200']);
    kube.writeLog(NS, 'api-gateway-h4-1', 'metrics', ['scraped']);
    kube.writeLog(NS, 'executor-h2-0', 'executor', ['not this deployment']);

    const window = { sinceSeconds: 86_400 * 365 * 5, tail: 100 };
    const lines = await deploymentLogs(target(), 'api-gateway', window);

    expect(lines.map(({ source, text }) => [source, text])).toEqual([
      ['api-gateway-h4-0/api-gateway', '{"level":50,"msg":"upstream timeout","surface_id":"s1"}'],
      ['api-gateway-h4-0/api-gateway', '  indented with  spaces '],
      ['api-gateway-h4-1/api-gateway', 'GET /health 200'],
      ['api-gateway-h4-1/metrics', 'scraped'],
    ]);
    expect(lines[0]?.at).toEqual(new Date('2026-01-02T03:04:05.123Z'));
    expect(lines[1]?.at).toEqual(new Date('2026-01-02T03:04:06Z'));
    expect(Math.abs((lines[2]?.at?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);

    const reads = kube.requestsTo('log');
    expect(reads.map((r) => [r.path, r.query.get('container')])).toEqual([
      [`/api/v1/namespaces/${NS}/pods/api-gateway-h4-0/log`, 'api-gateway'],
      [`/api/v1/namespaces/${NS}/pods/api-gateway-h4-1/log`, 'api-gateway'],
      [`/api/v1/namespaces/${NS}/pods/api-gateway-h4-1/log`, 'metrics'],
    ]);
    for (const read of reads) {
      expect(Object.fromEntries(read.query)).toEqual({
        container: read.query.get('container'),
        timestamps: 'true',
        sinceSeconds: String(window.sinceSeconds),
        tailLines: '100',
        limitBytes: String(1024 * 1024),
      });
    }
    expect(kube.requestsTo('pods')[0]?.query.get('labelSelector')).toBe('app=api-gateway');
  });

  it('keeps to the window: lines older than sinceSeconds and beyond the tail are not read', async () => {
    const old = new Date(Date.now() - 3_600_000).toISOString();
    kube.logs.set(`${NS}/executor-h2-0/executor`, [{ at: old, text: 'an hour ago' }]);
    kube.writeLog(NS, 'executor-h2-0', 'executor', ['one', 'two', 'three']);
    const lines = await deploymentLogs(target(), 'executor', { sinceSeconds: 900, tail: 2 });
    expect(lines.map((line) => line.text)).toEqual(['two', 'three']);
  });

  it('keeps the newest lines when the window holds more than a read may return (1 MiB a container)', async () => {
    const long = 'x'.repeat(1000);
    kube.writeLog(
      NS,
      'executor-h2-0',
      'executor',
      Array.from({ length: 3000 }, (_, i) => `${i} ${long}`),
    );
    const lines = await deploymentLogs(target(), 'executor', { sinceSeconds: 900, tail: 2000 });
    // 2000 lines of ~1 KB do not fit in 1 MiB; 1000 (the newest) do.
    expect(lines).toHaveLength(1000);
    expect(lines.at(-1)?.text).toBe(`2999 ${long}`);
    expect(lines[0]?.text).toBe(`2000 ${long}`);
    expect(kube.requestsTo('log').map((r) => r.query.get('tailLines'))).toEqual(['2000', '1000']);
  });

  it('refuses a deployment the service does not list, before calling the API', async () => {
    await expect(deploymentLogs(target(), 'unlisted', { sinceSeconds: 60, tail: 10 })).rejects.toThrow(
      'unlisted is not one of the deployments opsbot may touch here (api-gateway, executor).',
    );
    expect(kube.requests).toEqual([]);
  });
});

describe('podDetail', () => {
  it("shows a pod of the service's deployments: container states, restarts, last state, and its events newest last", async () => {
    const pod = podNamed('executor-h2-0');
    pod.spec.nodeName = 'node-a';
    pod.status = {
      ...pod.status,
      phase: 'Running',
      initContainerStatuses: [
        {
          name: 'migrate',
          ready: true,
          restartCount: 0,
          image: 'registry.example/executor:1.2',
          state: { terminated: { reason: 'Completed', exitCode: 0, finishedAt: '2026-01-02T03:00:00Z' } },
        },
      ],
      containerStatuses: [
        {
          name: 'executor',
          ready: false,
          restartCount: 4,
          image: 'registry.example/executor:1.2',
          state: {
            waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s restarting failed container' },
          },
          lastState: {
            terminated: {
              reason: 'OOMKilled',
              exitCode: 137,
              finishedAt: '2026-01-02T03:04:05Z',
              message: 'the last log lines with a secret',
            },
          },
        },
      ],
    };
    for (let i = 0; i < 25; i++) {
      kube.addEvent(NS, 'executor-h2-0', {
        type: i % 2 ? 'Warning' : 'Normal',
        reason: `Reason${i}`,
        message: `event ${i}`,
        at: new Date(Date.UTC(2026, 0, 2, 3, 0, 59 - i)),
      });
    }
    kube.addEvent(NS, 'api-gateway-h4-0', {
      type: 'Normal',
      reason: 'Pulled',
      message: 'other pod',
      at: new Date(),
    });

    const detail = await podDetail(target(), 'executor-h2-0', redact);

    expect(detail).toMatchObject({
      pod: 'executor-h2-0',
      deployment: 'executor',
      phase: 'Running',
      node: 'node-a',
    });
    expect(detail?.containers).toEqual({
      columns: ['container', 'ready', 'state', 'restarts', 'last state', 'image'],
      rows: [
        [
          'init: migrate',
          'yes',
          'terminated: Completed, exit code 0 at 2026-01-02 03:00:00Z',
          '0',
          '-',
          'registry.example/executor:1.2',
        ],
        [
          'executor',
          'no',
          'waiting: CrashLoopBackOff (back-off 1m20s restarting failed container)',
          '4',
          'terminated: OOMKilled, exit code 137 at 2026-01-02 03:04:05Z',
          'registry.example/executor:1.2',
        ],
      ],
      total: 2,
    });
    // The 20 newest of 25, oldest first: event 19 (03:00:40) to event 0 (03:00:59).
    expect(detail?.events.map((event) => event.reason)).toEqual(
      Array.from({ length: 20 }, (_, i) => `Reason${19 - i}`),
    );
    expect(detail?.events.at(-1)).toEqual({
      at: new Date('2026-01-02T03:00:59Z'),
      type: 'Normal',
      reason: 'Reason0',
      count: 1,
      message: 'event 0',
    });
    expect(kube.requestsTo('events')[0]?.query.get('fieldSelector')).toBe(
      'involvedObject.kind=Pod,involvedObject.name=executor-h2-0',
    );
  });

  it('redacts what events and container states quote: an exec probe prints anything, a secret too', async () => {
    const pod = podNamed('executor-h2-0');
    pod.status = {
      ...pod.status,
      containerStatuses: [
        {
          name: 'executor',
          ready: false,
          restartCount: 0,
          image: 'registry.example/executor:1.2',
          state: { waiting: { reason: 'CreateContainerConfigError', message: `bad DB_PASSWORD=${SECRET}` } },
        },
      ],
    };
    const probe = `Readiness probe failed: cannot reach postgres://bentham:${SECRET}@db/bentham with token ghp_${'a'.repeat(36)}`;
    kube.addEvent(NS, 'executor-h2-0', {
      type: 'Warning',
      reason: 'Unhealthy',
      message: probe,
      at: new Date(),
    });

    const detail = await podDetail(target(), 'executor-h2-0', redact);

    expect(detail?.containers.rows[0]?.[2]).toBe(
      'waiting: CreateContainerConfigError (bad DB_PASSWORD=[redacted])',
    );
    expect(detail?.events.map((event) => event.message)).toEqual([
      'Readiness probe failed: cannot reach postgres://bentham:[redacted]@db/bentham with token [redacted]',
    ]);
  });

  it("is undefined for a pod none of the service's deployments selects", async () => {
    expect(await podDetail(target(), 'unlisted-h1-0', redact)).toBeUndefined();
    expect(await podDetail(target(), 'no-such-pod', redact)).toBeUndefined();
    expect(kube.requestsTo('events')).toEqual([]);
  });
});
