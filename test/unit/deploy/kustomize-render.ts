import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';

/** A Kubernetes object as written in a manifest. */
export type Manifest = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
};

const ManifestShape = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.looseObject({ name: z.string(), namespace: z.string().optional() }),
});

/**
 * The fields of a kustomization.yaml this renderer implements; any other field is refused (strict), so a
 * kustomization that starts using one fails the test instead of being rendered wrongly.
 */
const Kustomization = z.strictObject({
  apiVersion: z.literal('kustomize.config.k8s.io/v1beta1'),
  kind: z.literal('Kustomization'),
  resources: z.array(z.string()).default([]),
  configMapGenerator: z
    .array(z.strictObject({ name: z.string(), namespace: z.string().optional(), files: z.array(z.string()) }))
    .default([]),
  generatorOptions: z
    .strictObject({
      // A hash suffix is not implemented here: kustomizations must turn it off.
      disableNameSuffixHash: z.literal(true),
      labels: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  images: z
    .array(
      z.strictObject({ name: z.string(), newName: z.string().optional(), newTag: z.string().optional() }),
    )
    .default([]),
});

/**
 * Renders `dir`'s kustomization.yaml as `kubectl kustomize` does for the fields it uses: the resources (files,
 * and directories with their own kustomization), ConfigMaps generated from files, and image names and tags.
 * CI has no kubectl, so this is how the manifests are assembled there; where kubectl is installed, the test
 * compares this rendering with `kubectl kustomize`'s.
 */
export async function renderKustomization(dir: string): Promise<Manifest[]> {
  const spec = Kustomization.parse(await readYamlDocument(join(dir, 'kustomization.yaml')));
  const objects: Manifest[] = [];
  for (const resource of spec.resources) {
    const path = join(dir, resource);
    if ((await stat(path)).isDirectory()) objects.push(...(await renderKustomization(path)));
    else objects.push(...(await readManifests(path)));
  }
  for (const generator of spec.configMapGenerator) {
    const data: Record<string, string> = {};
    for (const file of generator.files) data[basename(file)] = await readFile(join(dir, file), 'utf8');
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: generator.name,
        ...(generator.namespace ? { namespace: generator.namespace } : {}),
        ...(spec.generatorOptions?.labels ? { labels: spec.generatorOptions.labels } : {}),
      },
      data,
    });
  }
  for (const object of objects) setImages(object, spec.images);
  return objects;
}

/** Every document of a YAML file, each checked to be a Kubernetes object. */
export async function readManifests(path: string): Promise<Manifest[]> {
  const documents = parseAllDocuments(await readFile(path, 'utf8'));
  return documents.map((document, index) => {
    if (document.errors.length > 0) throw new Error(`${path} #${index}: ${document.errors[0]?.message}`);
    const parsed = ManifestShape.safeParse(document.toJS());
    if (!parsed.success)
      throw new Error(`${path} #${index} is not a Kubernetes object: ${parsed.error.message}`);
    return parsed.data as Manifest;
  });
}

async function readYamlDocument(path: string): Promise<unknown> {
  const [document, ...rest] = parseAllDocuments(await readFile(path, 'utf8'));
  if (!document || rest.length > 0 || document.errors.length > 0)
    throw new Error(`${path}: not one YAML document`);
  return document.toJS();
}

/** kustomize's images transformer, for the containers of pod templates. */
function setImages(
  object: Manifest,
  images: { name: string; newName?: string | undefined; newTag?: string | undefined }[],
): void {
  const template = (
    object.spec as { template?: { spec?: { containers?: { image?: string }[] } } } | undefined
  )?.template;
  for (const container of template?.spec?.containers ?? []) {
    if (!container.image) continue;
    const [name = '', tag] = container.image.split(':');
    const rule = images.find((image) => image.name === name);
    if (!rule) continue;
    const newTag = rule.newTag ?? tag;
    container.image = `${rule.newName ?? name}${newTag ? `:${newTag}` : ''}`;
  }
}
