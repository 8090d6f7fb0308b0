import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { readEnv } from '../../../src/config/env.js';
import { loadOpsConfig } from '../../../src/config/load.js';
import type { Metrics } from '../../../src/http/metrics.js';
import { pagerDutyWebhookRoute } from '../../../src/http/pagerduty-webhook.js';
import { operationalRoutes } from '../../../src/http/routes.js';
import { createLogger } from '../../../src/log.js';
import { type Manifest, renderKustomization } from './kustomize-render.js';
import { KUBERNETES_KINDS, kubernetesNeeds, roleRules } from './rbac-rules.js';
import { validateManifest } from './validate-k8s.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../../..');
const KUSTOMIZE = join(ROOT, 'deploy/kustomize');

/** Where kubectl is installed (not in CI), its own rendering is compared with this test's. */
const kubectl = await run('kubectl', ['version', '--client']).then(
  () => true,
  () => false,
);

interface Container {
  name: string;
  image: string;
  args: string[];
  ports: { name: string; containerPort: number }[];
  env: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef: { name: string; key: string; optional?: boolean } };
  }[];
  envFrom?: { secretRef: { name: string; optional?: boolean } }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  startupProbe?: { httpGet: { path: string; port: string } };
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources: { requests?: Record<string, string> };
  securityContext: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
  volumeMounts: { name: string; mountPath: string }[];
}

interface PodSpec {
  serviceAccountName: string;
  terminationGracePeriodSeconds: number;
  securityContext: { runAsNonRoot?: boolean };
  containers: Container[];
  volumes: { name: string; configMap?: { name: string }; emptyDir?: object }[];
}

const objects = await renderKustomization(KUSTOMIZE);
const withMonitoring = await renderKustomization(join(KUSTOMIZE, 'monitoring'));

function find(kind: string, name: string, from: Manifest[] = objects): Manifest & Record<string, unknown> {
  const found = from.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
}

function pod(role: 'web' | 'worker'): {
  labels: Record<string, string>;
  spec: PodSpec;
  container: Container;
} {
  const template = (
    find('Deployment', `opsbot-${role}`).spec as {
      template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    }
  ).template;
  const container = template.spec.containers[0];
  if (!container) throw new Error(`opsbot-${role} has no container`);
  return { labels: template.metadata.labels, spec: template.spec, container };
}

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

/** README.md's Environment table: the variable names opsbot documents. */
async function documentedEnv(): Promise<string[]> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split('### Environment')[1]?.split('\n### ')[0] ?? '';
  return [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1] ?? '');
}

describe('deploy/kustomize', () => {
  it('renders the objects opsbot needs, and the monitoring overlay adds a ServiceMonitor', () => {
    const kinds = (list: Manifest[]) => list.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds(objects)).toEqual([
      'ConfigMap/opsbot-config',
      'Deployment/opsbot-web',
      'Deployment/opsbot-worker',
      'HorizontalPodAutoscaler/opsbot-worker',
      'Ingress/opsbot',
      'PodDisruptionBudget/opsbot-web',
      'PodDisruptionBudget/opsbot-worker',
      'Role/opsbot',
      'RoleBinding/opsbot',
      'Service/opsbot-web',
      'Service/opsbot-worker',
      'ServiceAccount/opsbot',
    ]);
    expect(kinds(withMonitoring)).toEqual([...kinds(objects), 'ServiceMonitor/opsbot'].sort());
  });

  it('validates every object against the Kubernetes OpenAPI schemas, unknown fields included', () => {
    for (const object of withMonitoring) expect(validateManifest(object), object.metadata.name).toEqual([]);
  });

  it('has a validator that rejects a wrong type, a missing required field and a misspelt field', () => {
    const web = structuredClone(find('Deployment', 'opsbot-web'));
    const spec = web.spec as {
      selector?: unknown;
      template: { spec: { containers: Record<string, unknown>[] } };
    };
    const container = spec.template.spec.containers[0] ?? {};
    container.ports = [{ name: 'http', containerPort: '3000' }];
    container.readinesProbe = container.readinessProbe;
    delete spec.selector;
    const problems = validateManifest(web).join('\n');
    expect(problems).toMatch(/containerPort must be integer/);
    expect(problems).toMatch(/spec must have required property selector/);
    expect(problems).toMatch(/V1Container has no field "readinesProbe"/);
    const monitor = structuredClone(find('ServiceMonitor', 'opsbot', withMonitoring));
    (monitor.spec as { endpoints: { interval: string }[] }).endpoints[0]!.interval = 'half a minute';
    expect(validateManifest(monitor).join('\n')).toMatch(/interval must match pattern/);
  });

  it.skipIf(!kubectl)('renders exactly as `kubectl kustomize` does', async () => {
    for (const [dir, mine] of [
      [KUSTOMIZE, objects],
      [join(KUSTOMIZE, 'monitoring'), withMonitoring],
    ] as const) {
      const { stdout } = await run('kubectl', ['kustomize', dir]);
      const theirs = parseAllDocuments(stdout).map((document) => document.toJS() as Manifest);
      const key = (o: Manifest) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;
      const sorted = (list: Manifest[]) => [...list].sort((a, b) => key(a).localeCompare(key(b)));
      expect(sorted(mine)).toEqual(sorted(theirs));
    }
  });

  it('runs `opsbot start --role web` and `--role worker`, roles the CLI accepts', async () => {
    expect(pod('web').container.args).toEqual(['start', '--role', 'web']);
    expect(pod('worker').container.args).toEqual(['start', '--role', 'worker']);
    const { stdout } = await run(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'src/cli.ts'), '--help']);
    expect(stdout).toContain('start [--role all|web|worker]');
    expect(pod('web').container.image).toBe('registry.example.com/opsbot:0.1.0');
  });

  it('probes /healthz and /readyz on the port opsbot listens on, paths opsbot serves', () => {
    const paths = operationalRoutes({} as Metrics, {}).map((route) => route.path);
    for (const role of ['web', 'worker'] as const) {
      const { container } = pod(role);
      const port = container.env.find((e) => e.name === 'PORT')?.value;
      expect(container.ports).toEqual([{ name: 'http', containerPort: Number(port) }]);
      expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(container.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(paths).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/metrics']));
    }
  });

  it("reads the secrets from the opsbot Secret under opsbot's own names, which it accepts and documents", async () => {
    const documented = await documentedEnv();
    for (const role of ['web', 'worker'] as const) {
      const { env, envFrom } = pod(role).container;
      const fromSecret = Object.fromEntries(
        env.flatMap((e) => (e.valueFrom ? [[e.name, e.valueFrom.secretKeyRef]] : [])),
      );
      expect(fromSecret).toEqual({
        SLACK_BOT_TOKEN: { name: 'opsbot', key: 'SLACK_BOT_TOKEN' },
        SLACK_SIGNING_SECRET: { name: 'opsbot', key: 'SLACK_SIGNING_SECRET', optional: true },
        SLACK_APP_TOKEN: { name: 'opsbot', key: 'SLACK_APP_TOKEN', optional: true },
        DATABASE_URL: { name: 'opsbot', key: 'DATABASE_URL' },
        REDIS_URL: { name: 'opsbot', key: 'REDIS_URL' },
        PAGERDUTY_TOKEN: { name: 'opsbot', key: 'PAGERDUTY_TOKEN', optional: true },
        PAGERDUTY_WEBHOOK_SECRET: { name: 'opsbot', key: 'PAGERDUTY_WEBHOOK_SECRET', optional: true },
      });
      expect(envFrom).toEqual([{ secretRef: { name: 'opsbot-ops-secrets', optional: true } }]);
      for (const { name } of env) expect(documented, name).toContain(name);
      // opsbot's own parser takes the literal values with stand-ins for the secrets.
      const literal = Object.fromEntries(
        env.flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])),
      );
      const parsed = readEnv({
        ...literal,
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_SIGNING_SECRET: 'secret',
        DATABASE_URL: 'postgres://opsbot@db/opsbot',
        REDIS_URL: 'redis://redis:6379',
      });
      expect(parsed.OPSBOT_QUEUE_PREFIX).toBe('{opsbot}');
      expect(parsed.OPSBOT_CONFIG).toBe('/etc/opsbot/ops.yml');
    }
  });

  it('gives each pod longer than OPSBOT_SHUTDOWN_GRACE (and the web preStop pause) before SIGKILL', () => {
    for (const role of ['web', 'worker'] as const) {
      const { spec, container } = pod(role);
      const literal = Object.fromEntries(container.env.flatMap((e) => (e.value ? [[e.name, e.value]] : [])));
      const graceMs = readEnv(literal).OPSBOT_SHUTDOWN_GRACE;
      const preStopMs = Number(container.lifecycle?.preStop?.exec?.command[1] ?? 0) * 1000;
      expect(role === 'web' ? preStopMs : 0).toBe(role === 'web' ? 5000 : 0);
      expect(spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(graceMs + preStopMs);
    }
  });

  it('mounts ops.yml from the ConfigMap where OPSBOT_CONFIG points, and opsbot accepts that config', async () => {
    const configMap = find('ConfigMap', 'opsbot-config');
    for (const role of ['web', 'worker'] as const) {
      const { spec, container } = pod(role);
      const path = container.env.find((e) => e.name === 'OPSBOT_CONFIG')?.value ?? '';
      const mount = container.volumeMounts.find((m) => m.mountPath === dirname(path));
      const volume = spec.volumes.find((v) => v.name === mount?.name);
      expect(volume?.configMap?.name).toBe('opsbot-config');
      expect(Object.keys(configMap.data as object)).toEqual([basename(path)]);
    }
    const dir = await mkdtemp(join(tmpdir(), 'opsbot-deploy-'));
    try {
      const file = join(dir, 'ops.yml');
      await writeFile(file, (configMap.data as Record<string, string>)['ops.yml'] ?? '');
      const config = await loadOpsConfig(file, {});
      expect(Object.keys(config.services)).toEqual(['bentham']);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('runs as a non-root user on a read-only root filesystem, with a writable /tmp', () => {
    for (const role of ['web', 'worker'] as const) {
      const { spec, container } = pod(role);
      expect(spec.securityContext.runAsNonRoot).toBe(true);
      expect(container.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
      });
      const tmp = container.volumeMounts.find((m) => m.mountPath === '/tmp');
      expect(spec.volumes.find((v) => v.name === tmp?.name)?.emptyDir).toEqual({});
    }
  });

  it("routes only Slack's and PagerDuty's paths through the Ingress, to the web pods", () => {
    const ingress = find('Ingress', 'opsbot').spec as {
      rules: {
        http: {
          paths: {
            path: string;
            pathType: string;
            backend: { service: { name: string; port: { name: string } } };
          }[];
        };
      }[];
    };
    const paths = ingress.rules.flatMap((rule) => rule.http.paths);
    expect(paths.map((p) => [p.path, p.pathType])).toEqual([
      ['/slack/events', 'Exact'],
      ['/webhooks/pagerduty', 'Exact'],
    ]);
    expect(pagerDutyWebhookRoute({} as never, createLogger('silent')).path).toBe('/webhooks/pagerduty');
    for (const { backend } of paths) {
      expect(backend.service).toEqual({ name: 'opsbot-web', port: { name: 'http' } });
    }
    const service = find('Service', 'opsbot-web').spec as {
      selector: Record<string, string>;
      ports: { name: string; targetPort: string }[];
    };
    expect(matches(service.selector, pod('web').labels)).toBe(true);
    expect(matches(service.selector, pod('worker').labels)).toBe(false);
    expect(service.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http' }]);
  });

  it('keeps a disruption budget per role, and scales the workers on CPU', () => {
    for (const role of ['web', 'worker'] as const) {
      const pdb = find('PodDisruptionBudget', `opsbot-${role}`).spec as {
        maxUnavailable: number;
        selector: { matchLabels: Record<string, string> };
      };
      expect(pdb.maxUnavailable).toBe(1);
      expect(matches(pdb.selector.matchLabels, pod(role).labels)).toBe(true);
      expect(matches(pdb.selector.matchLabels, pod(role === 'web' ? 'worker' : 'web').labels)).toBe(false);
    }
    const hpa = find('HorizontalPodAutoscaler', 'opsbot-worker').spec as {
      scaleTargetRef: object;
      metrics: { resource: { name: string } }[];
    };
    expect(hpa.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'opsbot-worker' });
    expect(hpa.metrics.map((m) => m.resource.name)).toEqual(['cpu']);
    expect(pod('worker').container.resources.requests?.cpu).toBeDefined();
    // The autoscaler owns the worker count: the Deployment leaves it unset.
    expect((find('Deployment', 'opsbot-worker').spec as { replicas?: number }).replicas).toBeUndefined();
  });

  it("grants in the services' namespace exactly what ops.yml's kubernetes actions need, to the pods' account", async () => {
    const config = await loadOpsConfig(join(KUSTOMIZE, 'base/ops.yml'), {});
    const needs = kubernetesNeeds(config);
    const roles = objects.filter((o) => o.kind === 'Role');
    expect(roles.map((r) => r.metadata.namespace)).toEqual([...needs.keys()]);
    for (const role of roles) {
      const need = needs.get(role.metadata.namespace ?? '');
      expect(role.rules).toEqual(roleRules(need?.deployments ?? [], need?.kinds ?? new Set()));
    }
    const binding = find('RoleBinding', 'opsbot');
    expect(binding.metadata.namespace).toBe('bentham-prod');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'opsbot' });
    const account = find('ServiceAccount', 'opsbot');
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'opsbot', namespace: account.metadata.namespace },
    ]);
    for (const role of ['web', 'worker'] as const) expect(pod(role).spec.serviceAccountName).toBe('opsbot');
    expect(objects.some((o) => o.kind.startsWith('Cluster'))).toBe(false);
  });

  it("matches README's Role for every Kubernetes kind, rule for rule", async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const section = readme.split('**Access opsbot needs in Kubernetes**')[1] ?? '';
    const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const documented = parse(block) as { kind: string; rules: unknown };
    expect(documented.kind).toBe('Role');
    expect(documented.rules).toEqual(roleRules(['api-gateway', 'executor'], new Set(KUBERNETES_KINDS)));
  });

  it('lets a ServiceMonitor scrape /metrics of every web and worker pod', () => {
    const monitor = find('ServiceMonitor', 'opsbot', withMonitoring).spec as {
      selector: { matchLabels: Record<string, string> };
      endpoints: { port: string; path: string }[];
    };
    expect(monitor.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '30s' }]);
    for (const role of ['web', 'worker'] as const) {
      const service = find('Service', `opsbot-${role}`);
      expect(matches(monitor.selector.matchLabels, service.metadata.labels ?? {})).toBe(true);
      const spec = service.spec as {
        selector: Record<string, string>;
        ports: { name: string; targetPort: string }[];
      };
      expect(matches(spec.selector, pod(role).labels)).toBe(true);
      expect(spec.ports[0]).toMatchObject({ name: 'http', targetPort: 'http' });
    }
  });
});
