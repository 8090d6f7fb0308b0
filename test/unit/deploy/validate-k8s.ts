import * as k8s from '@kubernetes/client-node';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Service, ServiceAccount } from 'kubernetes-models/v1';
import type { Manifest } from './kustomize-render.js';

interface Model {
  validate(): void;
}

/**
 * kubernetes-models' classes, each with ajv validators compiled from the Kubernetes OpenAPI schema (types,
 * required fields, enums, formats, patterns); the ServiceMonitor's from the Prometheus Operator's CRD schema.
 */
const MODELS: Record<string, new (data: never) => Model> = {
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

/** The problems of one object: schema violations, then fields the API does not have (a typo is silently dropped). */
export function validateManifest(object: Manifest): string[] {
  const where = `${object.kind} ${object.metadata.name}`;
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) return [`${where}: no schema known for ${object.apiVersion} ${object.kind}`];
  const problems: string[] = [];
  try {
    new Model(object as never).validate();
  } catch (error) {
    problems.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
  // The OpenAPI schemas allow unknown fields; @kubernetes/client-node's models (generated from the same
  // OpenAPI spec) list each type's fields, which catches them, as `kubectl apply --validate=strict` would.
  if (object.apiVersion !== 'monitoring.coreos.com/v1') {
    const version = object.apiVersion.split('/').pop() ?? '';
    const typeName = `V${version.slice(1)}${object.kind}`;
    problems.push(...unknownFields(object, typeName, where));
  }
  return problems;
}

interface Attribute {
  baseName: string;
  type: string;
}

/** The client's model classes by name, each listing its fields. */
const TYPES = k8s as unknown as Record<string, { getAttributeTypeMap?: () => Attribute[] } | undefined>;

function unknownFields(value: unknown, type: string, path: string): string[] {
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (!Array.isArray(value)) return [`${path}: expected a list`];
    return value.flatMap((item, index) => unknownFields(item, array[1] ?? '', `${path}[${index}]`));
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (!isObject(value)) return [`${path}: expected a map`];
    return Object.entries(value).flatMap(([key, item]) =>
      unknownFields(item, map[1] ?? '', `${path}.${key}`),
    );
  }
  const attributes = TYPES[type]?.getAttributeTypeMap?.();
  if (!attributes) return []; // a scalar, IntOrString or any: its type is the schema's to check
  if (!isObject(value)) return [`${path}: expected an object (${type})`];
  return Object.entries(value).flatMap(([key, item]) => {
    const attribute = attributes.find((a) => a.baseName === key);
    if (!attribute) return [`${path}: ${type} has no field "${key}"`];
    return unknownFields(item, attribute.type, `${path}.${key}`);
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
