import {
  type ConfigurationOptions,
  type ObservableMiddleware,
  ResponseContext,
} from '@kubernetes/client-node';
import { z } from 'zod';
import { UnavailableError } from '../errors.js';
import type { KubernetesTarget } from '../targets/kubernetes.js';
import { kubeCall } from './calls.js';
import { withMiddleware } from './request-options.js';

const StringMap = z.record(z.string(), z.string());

/** The metadata fields opsbot reads; every other field is kept as the API server sent it. */
export const ObjectMetaJson = z.looseObject({
  name: z.string().optional(),
  uid: z.string().optional(),
  /** Changes on every write; a JSON patch `test` of it makes the write conditional on nothing else having written. */
  resourceVersion: z.string().optional(),
  labels: StringMap.optional(),
  annotations: StringMap.optional(),
  ownerReferences: z
    .array(z.looseObject({ uid: z.string().optional(), controller: z.boolean().optional() }))
    .optional(),
});

/** A pod template as served, unknown fields (newer than the client's models) included. */
export const PodTemplateJson = z.looseObject({
  metadata: z.looseObject({ labels: StringMap.optional() }).optional(),
  spec: z
    .looseObject({ containers: z.array(z.looseObject({ image: z.string().optional() })).optional() })
    .optional(),
});

export type PodTemplateJson = z.infer<typeof PodTemplateJson>;

/** A label selector as served (matchLabels and matchExpressions). */
export const LabelSelectorJson = z.looseObject({
  matchLabels: StringMap.optional(),
  matchExpressions: z
    .array(z.looseObject({ key: z.string(), operator: z.string(), values: z.array(z.string()).optional() }))
    .optional(),
});

/**
 * Runs one typed API call as kubeCall does (same errors), and also returns the response body as the API
 * server sent it, checked against `schema`. @kubernetes/client-node's models drop every field they do not
 * know when they read a response; what opsbot writes back (a pod template) must come from this JSON.
 */
export async function kubeCallJson<S extends z.ZodType, T>(
  target: KubernetesTarget,
  subject: string,
  schema: S,
  call: (options: ConfigurationOptions<ObservableMiddleware>) => Promise<T>,
): Promise<{ model: T; json: z.output<S> }> {
  const body = keepBody();
  const model = await kubeCall(target, subject, () => call(body.options));
  let parsed: z.ZodSafeParseResult<z.output<S>> | undefined;
  try {
    parsed = schema.safeParse(JSON.parse(body.text() ?? ''));
  } catch {
    // Not JSON at all: reported below like a body of the wrong shape.
  }
  if (!parsed?.success) {
    const issue = parsed?.error.issues[0];
    const where = issue ? ` (${issue.path.join('.') || 'body'}: ${issue.message})` : '';
    throw new UnavailableError(
      `Kubernetes (context ${target.context}) answered for ${subject} in a shape opsbot does not understand${where}.`,
    );
  }
  return { model, json: parsed.data };
}

/**
 * Per-call options with a middleware that reads the response body before the typed API deserializes it
 * (the generated client's `post` hook), keeps its text, and hands the same text on.
 */
function keepBody(): {
  options: ConfigurationOptions<ObservableMiddleware>;
  text: () => string | undefined;
} {
  let kept: string | undefined;
  const keep = async (response: ResponseContext): Promise<ResponseContext> => {
    const text = await response.body.text();
    kept = text;
    return new ResponseContext(response.httpStatusCode, response.headers, {
      text: async () => text,
      binary: async () => Buffer.from(text),
    });
  };
  return { options: withMiddleware({ post: keep }), text: () => kept };
}
