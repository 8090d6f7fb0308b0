import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { K8sRestartSchema, k8sRestartKind, RESTARTED_AT } from '../../../src/actions/k8s-restart.js';
import { K8sRollbackSchema, k8sRollbackKind } from '../../../src/actions/k8s-rollback.js';
import { K8sScaleSchema, k8sScaleKind } from '../../../src/actions/k8s-scale.js';
import type { ParamValues } from '../../../src/actions/params.js';
import type { ActionContext } from '../../../src/actions/types.js';
import { parseOpsConfig } from '../../../src/config/load.js';
import { crossCheck } from '../../../src/config/ops-config.js';
import { ConflictError } from '../../../src/errors.js';
import { KubernetesTargets } from '../../../src/targets/kubernetes.js';
import { testContext } from '../../support/action-context.js';
import { FakeKubernetes } from '../../support/fake-kubernetes.js';

const NS = 'bentham-prod';
const CONFIG = `
workspace: { ops_channel: C0OPS }
services:
  bentham:
    environment: production
    kubernetes: { context: prod, namespace: ${NS}, deployments: [api-gateway, executor, ghost, locked, frozen, fresh] }
`;

let kube: FakeKubernetes;
let targets: KubernetesTargets;

beforeAll(async () => {
  kube = await new FakeKubernetes().start();
  targets = new KubernetesTargets(parseOpsConfig(CONFIG, {}).services, kube.kubeconfig(['staging', 'prod']));
});
afterAll(async () => {
  await kube?.stop();
});
beforeEach(() => {
  kube.requests.length = 0;
  kube.deployments.clear();
  kube.replicaSets.length = 0;
  kube.pods.length = 0;
  kube.forbidden.clear();
  kube.rollout = 'completes';
  kube.onRequest = undefined;
  kube.invalid = undefined;
  kube.addDeployment(NS, 'api-gateway', { revisions: 3, replicas: 3 });
  kube.addDeployment(NS, 'executor', { revisions: 2, replicas: 2 });
  kube.addDeployment(NS, 'frozen', { paused: true });
  kube.addDeployment(NS, 'fresh', { revisions: 1 });
  kube.addDeployment(NS, 'locked');
  kube.forbidden.add('locked');
});

function context(params: ParamValues = {}, progress: string[] = []): ActionContext {
  return testContext({
    params,
    kubernetes: () => targets.target('bentham'),
    progress: (message) => progress.push(message),
  });
}

type Template = { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> };

/** The pod template of a ReplicaSet, as the fake API server holds (and serves) it. */
function servedTemplate(replicaSet: string): Template {
  const rs = kube.replicaSets.find((r) => r.metadata.name === replicaSet);
  return rs?.spec.template as Template;
}

/** The pod template of a deployment, as the fake API server holds it (changes show in its next answer). */
function deploymentTemplate(name: string): Template {
  return kube.deployments.get(`${NS}/${name}`)?.spec.template as Template;
}

/** A ReplicaSet's template as the deployment holds it: without pod-template-hash. */
function servedWithoutHash(replicaSet: string): Template {
  const template = structuredClone(servedTemplate(replicaSet));
  delete template.metadata.labels['pod-template-hash'];
  return template;
}

/** The deployment's resourceVersion as the fake API server holds it. */
function deploymentVersion(name: string): unknown {
  return kube.deployments.get(`${NS}/${name}`)?.metadata.resourceVersion;
}

const restart = (deployment: string, extra: Record<string, unknown> = {}) =>
  K8sRestartSchema.parse({ kind: 'k8s.restart', summary: 'Restart', deployment, ...extra });
const rollback = (deployment: string) =>
  K8sRollbackSchema.parse({ kind: 'k8s.rollback', summary: 'Roll back', deployment });
const scale = (deployment: string) =>
  K8sScaleSchema.parse({ kind: 'k8s.scale', summary: 'Scale', deployment, min_replicas: 1, max_replicas: 6 });

describe('k8s.restart', () => {
  it('plans with the current revision, image and ready replicas, and changes nothing', async () => {
    const plan = await k8sRestartKind.plan(restart('api-gateway'), context());
    expect(plan.summary).toBe(
      `Restart api-gateway in ${NS}: replace its 3 pods (revision 3) by a rolling update.`,
    );
    expect(plan.table?.rows).toEqual([
      ['api-gateway', NS, '3', 'registry.example/api-gateway:1.3', '3', '3/3', 'restart 3 pods'],
    ]);
    expect(kube.patches()).toEqual([]);
  });

  it('is a strategic-merge patch of the restartedAt annotation, then follows the rollout', async () => {
    const progress: string[] = [];
    const before = Date.now();
    const result = await k8sRestartKind.execute(restart('api-gateway'), context({}, progress));
    const [patch, ...more] = kube.patches();
    expect(more).toEqual([]);
    expect(patch?.path).toBe(`/apis/apps/v1/namespaces/${NS}/deployments/api-gateway`);
    expect(patch?.contentType).toBe('application/strategic-merge-patch+json');
    const body = patch?.body as { spec: { template: { metadata: { annotations: Record<string, string> } } } };
    const annotations = body.spec.template.metadata.annotations;
    expect(Object.keys(annotations)).toEqual([RESTARTED_AT]);
    const stamp = annotations[RESTARTED_AT] as string;
    expect(stamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(stamp)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(result.summary).toBe('Restarted: api-gateway rolled out: 3 of 3 replicas updated and available.');
    expect(progress[0]).toMatch(/^Restart of api-gateway started at /);
  });

  it('refuses a paused deployment without patching it', async () => {
    await expect(k8sRestartKind.plan(restart('frozen'), context())).rejects.toThrow(
      'frozen is paused, so it cannot be restarted; resume it first (kubectl rollout resume deployment/frozen).',
    );
    await expect(k8sRestartKind.execute(restart('frozen'), context())).rejects.toThrow('frozen is paused');
    expect(kube.patches()).toEqual([]);
  });

  it('says clearly when the deployment is missing or opsbot may not touch it', async () => {
    await expect(k8sRestartKind.plan(restart('ghost'), context())).rejects.toThrow(
      `Kubernetes has no deployment ghost in namespace ${NS} (context prod).`,
    );
    await expect(k8sRestartKind.execute(restart('locked'), context())).rejects.toThrow(
      `Kubernetes refused opsbot access to deployment locked in namespace ${NS} (context prod) (403): ` +
        'deployments.apps "locked" is forbidden',
    );
    await expect(k8sRestartKind.plan(restart('kube-dns'), context())).rejects.toThrow(
      'kube-dns is not one of the deployments opsbot may touch here',
    );
    expect(kube.requests.map((r) => r.path)).not.toContain(
      `/apis/apps/v1/namespaces/${NS}/deployments/kube-dns`,
    );
    expect(kube.patches()).toEqual([]);
  });

  it('fails with where the rollout stands when it does not complete within its deadline', async () => {
    kube.rollout = 'stuck';
    const progress: string[] = [];
    await expect(
      k8sRestartKind.execute(restart('api-gateway', { rollout_deadline: '1s' }), context({}, progress)),
    ).rejects.toThrow(
      `The rollout of api-gateway did not complete within 1s: 1 of 3 new replicas updated; check kubectl rollout status deployment/api-gateway -n ${NS}.`,
    );
    expect(progress).toContain(
      'Rollout of api-gateway: 1 of 3 new replicas updated (1 updated, 3 ready, 3 available of 3).',
    );
  });
});

describe('k8s.rollback', () => {
  it('plans from the current revision to the previous one', async () => {
    const plan = await k8sRollbackKind.plan(rollback('api-gateway'), context());
    expect(plan.summary).toBe(
      'Roll api-gateway back from revision 3 (registry.example/api-gateway:1.3) to revision 2 (registry.example/api-gateway:1.2).',
    );
    expect(plan.table?.rows[0]?.at(-1)).toBe('to revision 2: registry.example/api-gateway:1.2');
    expect(kube.patches()).toEqual([]);
  });

  it("is a JSON patch, guarded by the resourceVersion read, of the previous ReplicaSet's template, without pod-template-hash, and its annotations", async () => {
    const read = deploymentVersion('api-gateway');
    const result = await k8sRollbackKind.execute(rollback('api-gateway'), context());
    const lists = kube.requests.filter((r) => r.path === `/apis/apps/v1/namespaces/${NS}/replicasets`);
    expect(lists.map((r) => r.query.get('labelSelector'))).toEqual(['app=api-gateway']);
    const [patch, ...more] = kube.patches();
    expect(more).toEqual([]);
    expect(patch?.path).toBe(`/apis/apps/v1/namespaces/${NS}/deployments/api-gateway`);
    expect(patch?.contentType).toBe('application/json-patch+json');
    expect(patch?.body).toStrictEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: read },
      {
        op: 'replace',
        path: '/spec/template',
        value: {
          metadata: {
            creationTimestamp: null,
            labels: { app: 'api-gateway' },
            annotations: { 'example.com/build': 'b2' },
          },
          spec: {
            containers: [
              {
                name: 'api-gateway',
                image: 'registry.example/api-gateway:1.2',
                futureContainerField: { mode: 'm2' },
              },
            ],
            futurePodField: { revision: 2, rules: [{ kind: 'strict', values: [1, null, true] }] },
          },
        },
      },
      {
        op: 'replace',
        path: '/metadata/annotations',
        value: { 'deployment.kubernetes.io/revision': '3', 'example.com/change-cause': 'deploy 2' },
      },
    ]);
    expect(result.summary).toBe(
      "Rolled back to revision 2's template: api-gateway rolled out: 3 of 3 replicas updated and available.",
    );
    expect(deploymentTemplate('api-gateway')).toStrictEqual(servedWithoutHash('api-gateway-h2'));
    expect(deploymentVersion('api-gateway')).not.toBe(read);
  });

  it('changes nothing and says so when someone deploys between reading the deployment and patching it', async () => {
    // The other deploy's write reaches the API server just before opsbot's patch does.
    kube.onRequest = (request) => {
      if (request.method !== 'PATCH') return;
      kube.onRequest = undefined;
      kube.deploy(NS, 'api-gateway', 'registry.example/api-gateway:1.4');
    };
    const read = deploymentVersion('api-gateway');
    const error = await k8sRollbackKind.execute(rollback('api-gateway'), context()).catch((e) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe(
      'api-gateway changed since the plan (someone deployed); nothing was changed; request the rollback again to see the new plan.',
    );
    const [patch, ...more] = kube.patches();
    expect(more).toEqual([]);
    expect((patch?.body as unknown[] | undefined)?.[0]).toStrictEqual({
      op: 'test',
      path: '/metadata/resourceVersion',
      value: read,
    });
    const deployed = kube.deployments.get(`${NS}/api-gateway`);
    expect(deployed?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('4');
    expect(deploymentTemplate('api-gateway')).toStrictEqual(servedWithoutHash('api-gateway-h4'));
    expect(deployed?.metadata.resourceVersion).not.toBe(read);

    const again = await k8sRollbackKind.plan(rollback('api-gateway'), context());
    expect(again.summary).toBe(
      'Roll api-gateway back from revision 4 (registry.example/api-gateway:1.4) to revision 3 (registry.example/api-gateway:1.3).',
    );
  });

  it('reports a 422 that names a field as what the API server said, not as a concurrent deploy', async () => {
    kube.invalid = { field: 'spec.template.spec.containers[0].image', message: 'Required value' };
    await expect(k8sRollbackKind.execute(rollback('api-gateway'), context())).rejects.toThrow(
      `Kubernetes answered 422 for deployment api-gateway in namespace ${NS} (context prod): ` +
        'Deployment.apps "api-gateway" is invalid: spec.template.spec.containers[0].image: Required value.',
    );
  });

  it('carries the template exactly as the API server served it, fields the client models lack included', async () => {
    const served = structuredClone(servedTemplate('api-gateway-h2'));
    expect(served.metadata.labels).toHaveProperty('pod-template-hash', 'h2');
    delete served.metadata.labels['pod-template-hash'];
    await k8sRollbackKind.execute(rollback('api-gateway'), context());
    const body = kube.patches()[0]?.body as { path: string; value: unknown }[];
    expect(body.find((op) => op.path === '/spec/template')?.value).toStrictEqual(served);
  });

  it('compares templates as served: a difference only in a field the client models lack is a change', async () => {
    const current = deploymentTemplate('api-gateway');
    const previous = structuredClone(servedTemplate('api-gateway-h2'));
    delete previous.metadata.labels['pod-template-hash'];
    Object.assign(current, structuredClone(previous));
    expect((await k8sRollbackKind.plan(rollback('api-gateway'), context())).summary).toBe(
      "api-gateway already runs revision 2's template; rolling back changes nothing.",
    );

    current.spec.futurePodField = { revision: 3 };
    expect((await k8sRollbackKind.plan(rollback('api-gateway'), context())).summary).toBe(
      'Roll api-gateway back from revision 3 (registry.example/api-gateway:1.2) to revision 2 (registry.example/api-gateway:1.2).',
    );
  });

  it('says so when there is no previous revision, or the deployment is paused', async () => {
    await expect(k8sRollbackKind.plan(rollback('fresh'), context())).rejects.toThrow(
      'fresh has no previous revision to roll back to.',
    );
    await expect(k8sRollbackKind.execute(rollback('frozen'), context())).rejects.toThrow(
      'frozen is paused, so it cannot be rolled back',
    );
    expect(kube.patches()).toEqual([]);
  });

  it('maps a missing or forbidden deployment as the typed calls do, and refuses a ReplicaSet it cannot read', async () => {
    await expect(k8sRollbackKind.plan(rollback('ghost'), context())).rejects.toThrow(
      `Kubernetes has no deployment ghost in namespace ${NS} (context prod).`,
    );
    await expect(k8sRollbackKind.execute(rollback('locked'), context())).rejects.toThrow(
      `Kubernetes refused opsbot access to deployment locked in namespace ${NS} (context prod) (403): ` +
        'deployments.apps "locked" is forbidden',
    );
    const rs = kube.replicaSets.find((r) => r.metadata.name === 'executor-h1');
    (rs?.metadata as { annotations: unknown }).annotations = { 'deployment.kubernetes.io/revision': 1 };
    await expect(k8sRollbackKind.execute(rollback('executor'), context())).rejects.toThrow(
      'Kubernetes (context prod) answered for replica sets of executor in a shape opsbot does not understand ' +
        '(items.0.metadata.annotations.deployment.kubernetes.io/revision: Invalid input: expected string, received number).',
    );
    expect(kube.patches()).toEqual([]);
  });

  it('ignores ReplicaSets another controller owns', async () => {
    const rs = kube.replicaSets.find((r) => r.metadata.name === 'executor-h1');
    (rs?.metadata.ownerReferences as { uid: string }[])[0] = { uid: 'someone-else' } as { uid: string };
    await expect(k8sRollbackKind.plan(rollback('executor'), context())).rejects.toThrow(
      'executor has no previous revision to roll back to.',
    );
  });
});

describe('k8s.scale', () => {
  it('is a merge patch of spec.replicas on the scale subresource', async () => {
    const plan = await k8sScaleKind.plan(scale('executor'), context({ replicas: 5 }));
    expect(plan.summary).toBe(`Scale executor in ${NS} from 2 to 5 replicas.`);
    expect(kube.patches()).toEqual([]);
    const result = await k8sScaleKind.execute(scale('executor'), context({ replicas: 5 }));
    const [patch, ...more] = kube.patches();
    expect(more).toEqual([]);
    expect(patch?.path).toBe(`/apis/apps/v1/namespaces/${NS}/deployments/executor/scale`);
    expect(patch?.contentType).toBe('application/merge-patch+json');
    expect(patch?.body).toEqual({ spec: { replicas: 5 } });
    expect(result.summary).toBe(
      'Scaled executor from 2 to 5 replicas: executor rolled out: 5 of 5 replicas updated and available.',
    );
  });

  it('refuses counts outside the configured bounds before calling Kubernetes', async () => {
    expect(k8sScaleKind.constraints?.(scale('executor'), { replicas: 7 })).toBe(
      '7 replicas is outside what this action allows for executor (1 to 6).',
    );
    expect(k8sScaleKind.constraints?.(scale('executor'), { replicas: 0 })).toBe(
      '0 replicas is outside what this action allows for executor (1 to 6).',
    );
    expect(k8sScaleKind.constraints?.(scale('executor'), { replicas: 6 })).toBeUndefined();
    await expect(k8sScaleKind.execute(scale('executor'), context({ replicas: 9 }))).rejects.toThrow(
      '9 replicas is outside',
    );
    expect(kube.requests).toEqual([]);
  });
});

describe('the kubeconfig', () => {
  it('names the contexts it has when the configured one is missing', () => {
    const other = new KubernetesTargets(parseOpsConfig(CONFIG, {}).services, kube.kubeconfig(['staging']));
    expect(() => other.target('bentham')).toThrow(
      'Kubernetes context prod is not in the kubeconfig (it has staging).',
    );
  });
});

describe('k8s config', () => {
  const service = (kubernetes: unknown, actions: Record<string, unknown>) => ({
    services: { bentham: { environment: 'staging', ...(kubernetes ? { kubernetes } : {}), actions } },
  });
  const cluster = { context: 'prod', namespace: NS, deployments: ['api-gateway'] };

  it('accepts deployments the service lists, and reports any other or a missing kubernetes section', () => {
    expect(
      crossCheck(
        service(cluster, { restart: { kind: 'k8s.restart', summary: 's', deployment: 'api-gateway' } }),
      ),
    ).toEqual([]);
    expect(
      crossCheck(
        service(cluster, { restart: { kind: 'k8s.restart', summary: 's', deployment: 'executor' } }),
      ),
    ).toEqual([
      {
        path: ['services', 'bentham', 'actions', 'restart', 'deployment'],
        message: "is not one of the service's kubernetes deployments (api-gateway)",
      },
    ]);
    expect(
      crossCheck(
        service(undefined, { undo: { kind: 'k8s.rollback', summary: 's', deployment: 'api-gateway' } }),
      ),
    ).toEqual([
      {
        path: ['services', 'bentham', 'actions', 'undo', 'kind'],
        message: 'needs a kubernetes section in its service (context, namespace, deployments)',
      },
    ]);
  });

  it('checks scale bounds and refuses params on kinds whose params are fixed', () => {
    const bad = {
      kind: 'k8s.scale',
      summary: 's',
      deployment: 'api-gateway',
      min_replicas: 5,
      max_replicas: 2,
    };
    expect(crossCheck(service(cluster, { scale: bad }))).toEqual([
      {
        path: ['services', 'bentham', 'actions', 'scale', 'min_replicas'],
        message: 'must not be above max_replicas (2)',
      },
    ]);
    const withParams = K8sRestartSchema.safeParse({
      kind: 'k8s.restart',
      summary: 's',
      deployment: 'api-gateway',
      params: { pod: { type: 'string' } },
    });
    expect(withParams.success).toBe(false);
    expect(scale('executor').params).toEqual({
      replicas: {
        type: 'integer',
        min: 0,
        optional: false,
        description: 'How many pods the deployment should run',
      },
    });
  });

  it('refuses names Kubernetes would refuse', () => {
    const bad = parseOpsConfig.bind(
      null,
      CONFIG.replace('deployments: [api-gateway', 'deployments: [API_Gateway'),
      {},
    );
    expect(bad).toThrow(/must be a Kubernetes name such as api-gateway/);
  });
});
