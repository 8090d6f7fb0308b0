import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, parse, parseDocument } from 'yaml';
import { loadOpsConfig } from '../../../src/config/load.js';
import { type Manifest, renderKustomization } from './kustomize-render.js';
import { KUBERNETES_KINDS, roleRules } from './rbac-rules.js';

/*
 * Neither the npm registry nor Debian has helm, and CI installs from npm only, so the chart cannot be rendered
 * here. These are static checks of its text instead: Go-template syntax (balanced actions and blocks), every
 * include and every .Values path defined, and what the templates emit compared with deploy/kustomize's
 * manifests, which are rendered and validated against the Kubernetes schemas (kustomize.test.ts). The Role's
 * rules are evaluated for every combination of Kubernetes action kinds by a tiny evaluator that understands only
 * the constructs that template uses and fails on any other.
 */

const ROOT = join(import.meta.dirname, '../../..');
const CHART = join(ROOT, 'deploy/helm/opsbot');
const KUSTOMIZE = join(ROOT, 'deploy/kustomize');

const templateNames = (await readdir(join(CHART, 'templates'))).sort();
const templates = new Map(
  await Promise.all(
    templateNames.map(
      async (name) => [name, await readFile(join(CHART, 'templates', name), 'utf8')] as const,
    ),
  ),
);
const allTemplates = [...templates.values()].join('\n');
const valuesText = await readFile(join(CHART, 'values.yaml'), 'utf8');
const values = parse(valuesText) as Record<string, unknown>;
const kustomized = await renderKustomization(KUSTOMIZE);

function template(name: string): string {
  const text = templates.get(name);
  if (text === undefined) throw new Error(`no template ${name}`);
  return text;
}

/** The template actions of a text, comments left out. */
function actions(text: string): string[] {
  return [...text.matchAll(/\{\{-?\s*([\s\S]*?)\s*-?\}\}/g)]
    .map((match) => match[1] ?? '')
    .filter((action) => !action.startsWith('/*'));
}

function lookup(root: unknown, path: string[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || !(key in node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function container(role: 'web' | 'worker') {
  const deployment = kustomized.find((o) => o.kind === 'Deployment' && o.metadata.name === `opsbot-${role}`);
  const spec = deployment?.spec as { template: { spec: { containers: Record<string, unknown>[] } } };
  return spec.template.spec.containers[0] as {
    env: { name: string; value?: string; valueFrom?: { secretKeyRef: { optional?: boolean } } }[];
  };
}

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

  it('has balanced template actions and blocks in every file', () => {
    for (const [name, text] of templates) {
      const opens = (text.match(/\{\{/g) ?? []).length;
      expect((text.match(/\}\}/g) ?? []).length, name).toBe(opens);
      const stack: string[] = [];
      for (const action of actions(text)) {
        const keyword = /^(if|range|with|define|else|end)\b/.exec(action)?.[1];
        if (keyword === 'end') expect(stack.pop(), `${name}: an {{ end }} closes nothing`).toBeDefined();
        else if (keyword === 'else')
          expect(stack.at(-1), `${name}: else outside a block`).toMatch(/if|with|range/);
        else if (keyword) stack.push(keyword);
      }
      expect(stack, `${name}: blocks left open`).toEqual([]);
    }
  });

  it('includes only templates it defines', () => {
    const defined = [...allTemplates.matchAll(/\{\{-? define "([^"]+)"/g)].map((m) => m[1]);
    const included = [...allTemplates.matchAll(/include "([^"]+)"/g)].map((m) => m[1]);
    expect(included.length).toBeGreaterThan(0);
    for (const name of included) expect(defined, name).toContain(name);
  });

  it('reads only values that values.yaml defines', () => {
    const paths = [...allTemplates.matchAll(/(?:^|[\s($])(?:\$root|\$)?\.Values((?:\.[A-Za-z]\w*)+)/gm)].map(
      (match) => (match[1] ?? '').slice(1).split('.'),
    );
    expect(paths.length).toBeGreaterThan(30);
    for (const path of paths) expect(lookup(values, path), path.join('.')).not.toBeUndefined();
    // `$values` is web's or worker's section (index $root.Values $role): each path must exist in both.
    for (const match of allTemplates.matchAll(/\$values((?:\.[A-Za-z]\w*)+)/g)) {
      const path = (match[1] ?? '').slice(1).split('.');
      for (const role of ['web', 'worker'])
        expect(lookup(values, [role, ...path]), `${role}.${path}`).toBeDefined();
    }
  });

  it('emits the kinds deploy/kustomize has, plus an optional ServiceMonitor', () => {
    const kinds = (text: string) => [...text.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]);
    const emitted = new Set(kinds(allTemplates));
    const expected = new Set([...kustomized.map((o: Manifest) => o.kind), 'ServiceMonitor']);
    expect(emitted).toEqual(expected);
    expect(template('deployment-web.yaml')).toContain('(dict "root" . "role" "web")');
    expect(template('deployment-worker.yaml')).toContain('(dict "root" . "role" "worker")');
    expect(template('servicemonitor.yaml')).toMatch(/^\{\{- if \.Values\.serviceMonitor\.enabled \}\}/);
    expect(template('ingress.yaml')).toMatch(/\{\{- if \.Values\.ingress\.enabled \}\}/);
  });

  it('gives the pods the environment, probes and role arguments of the kustomize Deployments', () => {
    const helper = template('_helpers.tpl');
    const deployment = helper.split('define "opsbot.deployment"')[1] ?? '';
    expect(deployment).toContain('args: [start, --role, {{ $role }}]');
    const literalNames = [...deployment.matchAll(/^\s+- name: ([A-Z_]+)$/gm)].map((m) => m[1] ?? '');
    const ranged = (optional: boolean) => {
      const guard = optional ? ', optional: true }' : ' }';
      const block = [
        ...deployment.matchAll(/range \$name := list ((?:"[A-Z_]+" ?)+) \}\}([\s\S]*?)\{\{- end \}\}/g),
      ]
        .filter((m) => (m[2] ?? '').includes(`key: {{ $name }}${guard}`))
        .map((m) => m[1] ?? '');
      return block.flatMap((list) => [...list.matchAll(/"([A-Z_]+)"/g)].map((m) => m[1] ?? ''));
    };
    for (const role of ['web', 'worker'] as const) {
      const env = container(role).env;
      const required = env
        .filter((e) => e.valueFrom && !e.valueFrom.secretKeyRef.optional)
        .map((e) => e.name);
      const optional = env.filter((e) => e.valueFrom?.secretKeyRef.optional).map((e) => e.name);
      const literal = env.filter((e) => !e.valueFrom).map((e) => e.name);
      expect(ranged(false).sort()).toEqual(required.sort());
      expect(ranged(true).sort()).toEqual(optional.sort());
      // KUBECONFIG is set only when a kubeconfig Secret is given.
      expect(literalNames.filter((name) => name !== 'KUBECONFIG').sort()).toEqual(literal.sort());
    }
    for (const [probe, path] of [
      ['startupProbe', '/healthz'],
      ['livenessProbe', '/healthz'],
      ['readinessProbe', '/readyz'],
    ]) {
      expect(deployment).toContain(`${probe}:\n            httpGet: { path: ${path}, port: http }`);
    }
    expect(deployment).toMatch(/mountPath: \/etc\/opsbot\n/);
    expect(deployment).toContain('value: /etc/opsbot/ops.yml');
    // More than the grace plus the web pods' 5 s preStop pause.
    expect(deployment).toMatch(
      /terminationGracePeriodSeconds: \{\{ add \$root\.Values\.shutdownGraceSeconds 15 \}\}/,
    );
    expect(deployment).toContain('command: [sleep, "5"]');
    expect(deployment).toContain('value: {{ printf "%ds" (int $root.Values.shutdownGraceSeconds) | quote }}');
  });

  it("routes only Slack's and PagerDuty's paths through the Ingress", () => {
    const ingress = kustomized.find((o) => o.kind === 'Ingress')?.spec as {
      rules: { http: { paths: { path: string }[] } }[];
    };
    const paths = ingress.rules.flatMap((rule) => rule.http.paths.map((p) => `"${p.path}"`));
    expect(template('ingress.yaml')).toContain(`range $path := list ${paths.join(' ')} }}`);
    expect(template('ingress.yaml')).toContain('pathType: Exact');
  });

  it('grants each listed namespace exactly the rules README documents for the kinds listed, for every combination', () => {
    const rbac = template('rbac.yaml');
    const rulesSection = rbac.split('\nrules:\n')[1]?.split('\n---\n')[0] ?? '';
    const deployments = ['api-gateway', 'executor'];
    for (let mask = 0; mask < 2 ** KUBERNETES_KINDS.length; mask += 1) {
      const kinds = new Set(KUBERNETES_KINDS.filter((_, bit) => mask & (1 << bit)));
      const rendered = evaluateRules(rulesSection, kinds, deployments);
      expect(parse(rendered), [...kinds].join(',') || 'no kinds').toEqual(roleRules(deployments, kinds));
    }
    expect(rbac).toContain('kind: ServiceAccount\n    name: {{ include "opsbot.serviceAccountName" $ }}');
    expect(rbac).not.toMatch(/kind: Cluster/);
  });
});

/**
 * Renders the rules section of rbac.yaml for one set of kinds: `{{- if has "K" $kinds }}`, `{{- if or (has "A"
 * $kinds) (has "B" $kinds) }}`, `{{- else }}`, `{{- end }}` and `{{ toJson .deployments }}`; any other action
 * throws, so a template change it cannot follow fails the test rather than passing unchecked.
 */
function evaluateRules(section: string, kinds: ReadonlySet<string>, deployments: string[]): string {
  const stack: boolean[] = [];
  const out: string[] = [];
  for (const line of section.split('\n')) {
    const action = /^\s*\{\{-? (.*?) -?\}\}\s*$/.exec(line)?.[1];
    if (action !== undefined) {
      const has = (text: string) =>
        [...text.matchAll(/has "([^"]+)" \$kinds/g)].map((m) => kinds.has(m[1] ?? ''));
      if (/^if has "[^"]+" \$kinds$/.test(action)) stack.push(has(action)[0] ?? false);
      else if (/^if or (\(has "[^"]+" \$kinds\) ?)+$/.test(action)) stack.push(has(action).some(Boolean));
      else if (action === 'else') stack.push(!(stack.pop() ?? true));
      else if (action === 'end') stack.pop();
      else throw new Error(`the rules evaluator does not know {{ ${action} }}`);
      continue;
    }
    if (!stack.every(Boolean)) continue;
    const expanded = line.replace('{{ toJson .deployments }}', JSON.stringify(deployments));
    if (expanded.includes('{{')) throw new Error(`the rules evaluator does not know: ${line}`);
    out.push(expanded);
  }
  return out.join('\n');
}
