import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isMap, isScalar, parse, parseDocument } from 'yaml';
import { loadOpsConfig } from '../../../src/config/load.js';
import { type RenderedObject, renderChart } from '../../support/helm-render.js';
import { renderKustomization } from './kustomize-render.js';
import { KUBERNETES_KINDS, roleRules } from './rbac-rules.js';
import { validateManifest } from './validate-k8s.js';

/*
 * Neither the npm registry nor Debian has helm (the npm packages named after it download it from get.helm.sh at
 * install time), so this test renders the chart with test/support/helm-render.ts: a JavaScript implementation
 * of the part of Go's text/template and of the Sprig/Helm functions this chart uses, run as `helm template
 * --strict` runs (a missing value is an error). It is not helm. Every rendered object is validated against
 * the Kubernetes OpenAPI schemas (and the Prometheus Operator's CRD for the ServiceMonitor) as deploy/kustomize's
 * are, with the default values and with ci/all-on-values.yaml, which turns on every optional part. What it
 * cannot check: `helm lint`'s own rules (Chart.yaml metadata beyond what is asserted here, icon, deprecated
 * APIs, kubeVersion against a cluster), helm's byte-exact output (toYaml's layout may differ; objects are
 * compared after parsing), functions this chart does not use, and a real install (hooks, ordering, the API
 * server's admission).
 */

const ROOT = join(import.meta.dirname, '../../..');
const CHART = join(ROOT, 'deploy/helm/opsbot');
const KUSTOMIZE = join(ROOT, 'deploy/kustomize');

const valuesText = await readFile(join(CHART, 'values.yaml'), 'utf8');
const values = parse(valuesText) as Record<string, unknown>;
const allOn = parse(await readFile(join(CHART, 'ci/all-on-values.yaml'), 'utf8')) as Record<string, unknown>;
const defaults = await renderChart(CHART);
const everything = await renderChart(CHART, { values: allOn });
const kustomized = await renderKustomization(KUSTOMIZE);

interface Container {
  args: string[];
  image: string;
  ports: { name: string; containerPort: number }[];
  env: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];
  envFrom?: { secretRef: { name: string } }[];
  startupProbe: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  volumeMounts: { name: string; mountPath: string }[];
}
interface Pod {
  metadata: { labels: Record<string, string> };
  spec: { containers: Container[]; volumes: { name: string }[]; serviceAccountName: string };
}

function find(objects: RenderedObject[], kind: string, name: string) {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) throw new Error(`${found.length} ${kind} ${name}`);
  return found[0] as RenderedObject & { spec: Record<string, unknown> };
}

function pod(objects: RenderedObject[], role: 'web' | 'worker'): Pod & { container: Container } {
  const deployment = find(objects, 'Deployment', `opsbot-${role}`).spec as { template: Pod };
  const container = deployment.template.spec.containers[0];
  if (!container) throw new Error(`opsbot-${role} has no container`);
  return { ...deployment.template, container };
}

const kinds = (objects: RenderedObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

/** A copy of the chart with one template edited, to show the renderer refuses what helm would. */
async function brokenChart(file: string, edit: (text: string) => string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'opsbot-chart-'));
  copies.push(dir);
  await cp(CHART, dir, { recursive: true });
  const path = join(dir, 'templates', file);
  const before = await readFile(path, 'utf8');
  const after = edit(before);
  if (after === before) throw new Error(`the edit of ${file} changed nothing`);
  await writeFile(path, after);
  return dir;
}
const copies: string[] = [];
afterAll(async () => {
  for (const dir of copies) await rm(dir, { recursive: true, force: true });
});

describe('deploy/helm/opsbot', () => {
  it("is a v2 chart whose appVersion is opsbot's version", async () => {
    const chart = parse(await readFile(join(CHART, 'Chart.yaml'), 'utf8')) as Record<string, string>;
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'opsbot', type: 'application' });
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(chart.appVersion).toBe(pkg.version);
  });

  it('ships as its default ops.yml the one deploy/kustomize mounts, which opsbot accepts', async () => {
    const kustomizeOps = await readFile(join(KUSTOMIZE, 'base/ops.yml'), 'utf8');
    expect(parse(String(values.opsYml))).toEqual(parse(kustomizeOps));
    const config = await loadOpsConfig(join(KUSTOMIZE, 'base/ops.yml'), {});
    expect(Object.keys(config.services)).toEqual(['bentham']);
    const configMap = find(defaults.objects, 'ConfigMap', 'opsbot-config') as {
      data?: Record<string, string>;
    };
    expect(parse(configMap.data?.['ops.yml'] ?? '')).toEqual(parse(kustomizeOps));
  });

  it('documents every value with a comment', () => {
    const document = parseDocument(valuesText);
    if (!isMap(document.contents)) throw new Error('values.yaml is not a map');
    const undocumented = document.contents.items.flatMap((pair, index) => {
      const key = isScalar(pair.key) ? String(pair.key.value) : '?';
      const comment =
        (isScalar(pair.key) && pair.key.commentBefore) || (index === 0 ? document.commentBefore : undefined);
      return comment ? [] : [key];
    });
    expect(undocumented).toEqual([]);
  });

  it('renders with the default values the objects deploy/kustomize has, Ingress left out, each valid', () => {
    expect(kinds(defaults.objects)).toEqual(kinds(kustomized).filter((k) => k !== 'Ingress/opsbot'));
    for (const object of defaults.objects) expect(validateManifest(object), object.metadata.name).toEqual([]);
  });

  it('renders with every optional part on an Ingress, a ServiceMonitor and a Role per namespace, each valid', () => {
    expect(kinds(everything.objects)).toEqual(
      [...kinds(kustomized), 'ServiceMonitor/opsbot', 'Role/opsbot', 'RoleBinding/opsbot'].sort(),
    );
    for (const object of everything.objects)
      expect(validateManifest(object), object.metadata.name).toEqual([]);
    expect(everything.notes).toContain('https://opsbot.ops.example.com/slack/events');
    expect(defaults.notes).toContain('/ops help');
  });

  it('gives the pods the arguments, environment, probes and mounts of the kustomize Deployments', () => {
    for (const role of ['web', 'worker'] as const) {
      const mine = pod(defaults.objects, role).container;
      const theirs = pod(kustomized, role).container;
      expect(mine.args).toEqual(['start', '--role', role]);
      const byName = (env: Container['env']) => [...env].sort((a, b) => a.name.localeCompare(b.name));
      expect(byName(mine.env)).toEqual(byName(theirs.env));
      for (const key of [
        'ports',
        'envFrom',
        'startupProbe',
        'livenessProbe',
        'readinessProbe',
        'volumeMounts',
      ] as const)
        expect(mine[key], `${role} ${key}`).toEqual(theirs[key]);
      expect(mine.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(mine.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(mine.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(mine.image).toBe('registry.example.com/opsbot:0.1.0');
    }
    // With autoscaling on, the HPA owns the worker count.
    expect(find(defaults.objects, 'Deployment', 'opsbot-web').spec.replicas).toBe(2);
    expect(find(defaults.objects, 'Deployment', 'opsbot-worker').spec.replicas).toBeUndefined();
    const hpa = find(defaults.objects, 'HorizontalPodAutoscaler', 'opsbot-worker').spec;
    expect(hpa.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'opsbot-worker' });
  });

  it('serves http on the web Service and selects each role with its Service, PDB and ServiceMonitor', () => {
    const web = find(everything.objects, 'Service', 'opsbot-web').spec as {
      ports: unknown[];
      selector: Record<string, string>;
    };
    expect(web.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http' }]);
    const worker = find(everything.objects, 'Service', 'opsbot-worker').spec as {
      selector: Record<string, string>;
    };
    expect(matches(web.selector, pod(everything.objects, 'web').metadata.labels)).toBe(true);
    expect(matches(web.selector, pod(everything.objects, 'worker').metadata.labels)).toBe(false);
    expect(matches(worker.selector, pod(everything.objects, 'worker').metadata.labels)).toBe(true);
    for (const role of ['web', 'worker'] as const) {
      const pdb = find(everything.objects, 'PodDisruptionBudget', `opsbot-${role}`).spec as {
        selector: { matchLabels: Record<string, string> };
      };
      expect(matches(pdb.selector.matchLabels, pod(everything.objects, role).metadata.labels)).toBe(true);
    }
    const monitor = find(everything.objects, 'ServiceMonitor', 'opsbot');
    const selector = (monitor.spec as { selector: { matchLabels: Record<string, string> } }).selector;
    for (const name of ['opsbot-web', 'opsbot-worker'])
      expect(
        matches(selector.matchLabels, find(everything.objects, 'Service', name).metadata.labels ?? {}),
      ).toBe(true);
    expect(monitor.metadata.labels?.release).toBe('prometheus');
  });

  it("routes only Slack's and PagerDuty's paths to the web Service through the Ingress", () => {
    const ingress = find(everything.objects, 'Ingress', 'opsbot').spec as {
      ingressClassName: string;
      tls: unknown[];
      rules: { host: string; http: { paths: { path: string; pathType: string; backend: unknown }[] } }[];
    };
    expect(ingress.ingressClassName).toBe('nginx');
    expect(ingress.tls).toEqual([{ hosts: ['opsbot.ops.example.com'], secretName: 'opsbot-tls' }]);
    expect(ingress.rules.map((rule) => rule.host)).toEqual(['opsbot.ops.example.com']);
    expect(ingress.rules[0]?.http.paths).toEqual(
      ['/slack/events', '/webhooks/pagerduty'].map((path) => ({
        path,
        pathType: 'Exact',
        backend: { service: { name: 'opsbot-web', port: { name: 'http' } } },
      })),
    );
  });

  it('reads secrets from the existing Secret, mounts the kubeconfig and the extra volumes', () => {
    for (const role of ['web', 'worker'] as const) {
      const { container, spec } = pod(everything.objects, role);
      const secrets = container.env.flatMap((e) => (e.valueFrom ? [e.valueFrom.secretKeyRef.name] : []));
      expect(new Set(secrets)).toEqual(new Set(['opsbot-prod']));
      expect(container.envFrom).toEqual([{ secretRef: { name: 'opsbot-prod-ops', optional: true } }]);
      expect(container.env).toContainEqual({ name: 'KUBECONFIG', value: '/etc/opsbot-kube/config' });
      expect(container.env).toContainEqual({
        name: 'SLACK_API_URL',
        value: 'https://slack.example.com/api/',
      });
      expect(container.volumeMounts.map((m) => m.mountPath)).toEqual([
        '/etc/opsbot',
        '/tmp',
        '/etc/opsbot-kube',
        '/backups',
      ]);
      expect(spec.volumes.map((v) => v.name)).toEqual(['config', 'tmp', 'kubeconfig', 'backups']);
      expect(container.image).toBe('registry.example.com/opsbot:1.2.3');
    }
  });

  it('grants each namespace exactly the rules README documents for its kinds, for every combination', async () => {
    const deployments = ['api-gateway', 'executor'];
    for (let mask = 0; mask < 2 ** KUBERNETES_KINDS.length; mask += 1) {
      const kindSet = new Set(KUBERNETES_KINDS.filter((_, bit) => mask & (1 << bit)));
      const rbac = { namespaces: [{ namespace: 'bentham-prod', deployments, kinds: [...kindSet] }] };
      const { objects } = await renderChart(CHART, { values: { rbac } });
      const role = find(objects, 'Role', 'opsbot') as { rules?: unknown; metadata: { namespace?: string } };
      expect(role.rules, [...kindSet].join(',') || 'no kinds').toEqual(roleRules(deployments, kindSet));
      expect(role.metadata.namespace).toBe('bentham-prod');
    }
    const roles = everything.objects.filter((o) => o.kind === 'Role') as (RenderedObject & {
      rules: unknown;
    })[];
    expect(roles.map((r) => r.metadata.namespace)).toEqual(['bentham-prod', 'bentham-staging']);
    expect(roles[1]?.rules).toEqual(roleRules(['api-gateway'], new Set()));
    const binding = find(defaults.objects, 'RoleBinding', 'opsbot') as { subjects?: unknown };
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'opsbot', namespace: 'opsbot' }]);
    expect(kinds(everything.objects).some((k) => k.startsWith('Cluster'))).toBe(false);
  });

  it('fails on a misspelt value, an unknown function, an unclosed block or an object the schema refuses', async () => {
    const typo = await brokenChart('service.yaml', (t) =>
      t.replace('.Values.service.port', '.Values.servce.port'),
    );
    await expect(renderChart(typo)).rejects.toThrow(/map has no entry for key "servce"/);
    const fn = await brokenChart('pdb.yaml', (t) => t.replace('nindent 4', 'nindnet 4'));
    await expect(renderChart(fn)).rejects.toThrow(/function "nindnet" not defined/);
    const unclosed = await brokenChart('hpa.yaml', (t) => t.replace(/\{\{- end \}\}\s*$/, ''));
    await expect(renderChart(unclosed)).rejects.toThrow(/unexpected EOF/);
    const indent = await brokenChart('configmap.yaml', (t) =>
      t.replace('opsYml | nindent 4', 'opsYml | nindent 2'),
    );
    // ops.yml's lines land beside its key instead of inside it: still YAML, but not a ConfigMap's data.
    const configMap = find((await renderChart(indent)).objects, 'ConfigMap', 'opsbot-config');
    expect(validateManifest(configMap).join('\n')).toMatch(/data\/workspace must be string/);
    const float = await brokenChart('_helpers.tpl', (t) =>
      t.replace('(int $root.Values.shutdownGraceSeconds)', '$root.Values.shutdownGraceSeconds'),
    );
    const rendered = await renderChart(float);
    const web = pod(rendered.objects, 'web').container.env.find((e) => e.name === 'OPSBOT_SHUTDOWN_GRACE');
    expect(web?.value).toBe('%!d(float64=30)s'); // what helm renders: Go's fmt refuses a float64 for %d
    const replicas = await brokenChart('_helpers.tpl', (t) =>
      t.replace('replicas: {{ $values.replicas }}', 'replicas: {{ $values.replicas | quote }}'),
    );
    const deployment = find((await renderChart(replicas)).objects, 'Deployment', 'opsbot-web');
    expect(validateManifest(deployment).join('\n')).toMatch(/replicas must be integer/);
  });
});
