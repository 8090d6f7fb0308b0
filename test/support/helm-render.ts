import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { HELM_FUNCTIONS } from './helm-functions.js';
import { Executor, isMap } from './helm-template-exec.js';
import { type Node, parseTemplate } from './helm-template-parse.js';

/**
 * `helm template --strict` for a chart of templates/*.yaml and _*.tpl helpers, in JavaScript: neither the npm
 * registry nor Debian has helm. Values are the chart's values.yaml with `values` merged over it as helm merges
 * `-f` files (maps merge key by key, null deletes); every template file is parsed into one set of definitions
 * and each file not starting with `_` is rendered with .Values, .Release, .Chart and .Template; NOTES.txt is
 * rendered apart. The output is split into YAML documents, empty ones dropped. Helm replaces a stray `<no value>`
 * with nothing; here it is an error, and so is a missing map key (strict mode). Not implemented: subcharts,
 * .Files, .Capabilities, lookup, tpl, values.schema.json, hooks, and helm's install-order sorting.
 */

/** A rendered Kubernetes object. */
export type RenderedObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
};

const ObjectShape = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.looseObject({ name: z.string(), namespace: z.string().optional() }),
});

export interface RenderedChart {
  /** Every object, in template file order. */
  objects: RenderedObject[];
  /** The rendered text of each template file (`_` helpers and NOTES.txt left out). */
  files: Map<string, string>;
  notes: string;
}

export interface RenderOptions {
  /** Merged over values.yaml, as `-f` files are. */
  values?: Record<string, unknown>;
  release?: { name: string; namespace: string };
}

/** Renders `chartDir` as `helm template <release> <chart> -n <namespace> -f values --strict` would. */
export async function renderChart(chartDir: string, options: RenderOptions = {}): Promise<RenderedChart> {
  const chartYaml = parse(await readFile(join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
  const defaults = parse(await readFile(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  const chart = Object.fromEntries(
    Object.entries(chartYaml).map(([key, value]) => [
      key === 'apiVersion' ? 'APIVersion' : key[0]?.toUpperCase() + key.slice(1),
      value,
    ]),
  );
  const release = options.release ?? { name: 'opsbot', namespace: 'opsbot' };
  const names = (await readdir(join(chartDir, 'templates'))).sort();
  const functions = new Set(HELM_FUNCTIONS.keys());
  const parsed = new Map<string, Node[]>();
  const defines = new Map<string, Node[]>();
  for (const name of names) {
    const text = await readFile(join(chartDir, 'templates', name), 'utf8');
    const template = parseTemplate(`${chart.Name}/templates/${name}`, text, functions);
    parsed.set(name, template.root);
    for (const [define, list] of template.defines) defines.set(define, list);
  }
  const executor = new Executor(defines, HELM_FUNCTIONS);
  const top = {
    Values: coalesce(defaults, options.values ?? {}),
    Release: {
      Name: release.name,
      Namespace: release.namespace,
      Service: 'Helm',
      IsInstall: true,
      IsUpgrade: false,
      Revision: 1n,
    },
    Chart: chart,
  };
  const result: RenderedChart = { objects: [], files: new Map(), notes: '' };
  for (const [name, root] of parsed) {
    if (name.startsWith('_')) continue;
    const path = `${chart.Name}/templates/${name}`;
    let text: string;
    try {
      text = executor.execute(root, {
        ...top,
        Template: { Name: path, BasePath: `${chart.Name}/templates` },
      });
    } catch (error) {
      throw new Error(`${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (text.includes('<no value>')) throw new Error(`${path} renders <no value>:\n${text}`);
    if (basename(name) === 'NOTES.txt') {
      result.notes = text;
      continue;
    }
    result.files.set(name, text);
    result.objects.push(...objectsOf(path, text));
  }
  return result;
}

function objectsOf(path: string, text: string): RenderedObject[] {
  return parseAllDocuments(text).flatMap((document, index) => {
    if (document.errors.length > 0)
      throw new Error(`${path} #${index}: ${document.errors[0]?.message}\n${text}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) return [];
    const parsed = ObjectShape.safeParse(value);
    if (!parsed.success)
      throw new Error(`${path} #${index} is not a Kubernetes object: ${parsed.error.message}`);
    return [parsed.data as RenderedObject];
  });
}

/** Helm's coalescing of a values file over the chart's defaults: maps merged key by key, null deletes a key. */
export function coalesce(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = merged[key];
    if (value === null) delete merged[key];
    else if (isMap(value) && isMap(current)) merged[key] = coalesce(current, value);
    else merged[key] = value;
  }
  return merged;
}
