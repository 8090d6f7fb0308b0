import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { kubeCall } from '../kubernetes/calls.js';
import { deploymentFacts, deploymentTable, readDeployment } from '../kubernetes/deployments.js';
import { followRollout } from '../kubernetes/rollout.js';
import { deploymentProblems, k8sFields, onDeployment } from './k8s-fields.js';
import { ParamsSchema, type ParamValues } from './params.js';
import { type ActionKind, fixedParams } from './types.js';

/** `/ops scale <service> <replicas>`; the bounds are the action's min_replicas and max_replicas. */
const SCALE_PARAMS = ParamsSchema.parse({
  replicas: { type: 'integer', min: 0, description: 'How many pods the deployment should run' },
});

/** An ops.yml entry of kind `k8s.scale`. */
export const K8sScaleSchema = z.strictObject({
  kind: z.literal('k8s.scale'),
  ...k8sFields,
  params: fixedParams('k8s.scale', SCALE_PARAMS),
  min_replicas: z.number().int().min(0).default(1),
  max_replicas: z.number().int().min(1),
});

export type K8sScaleAction = z.infer<typeof K8sScaleSchema>;

/** Sets a deployment's replica count through its `/scale` subresource, within configured bounds. */
export const k8sScaleKind: ActionKind<K8sScaleAction> = {
  kind: 'k8s.scale',
  configSchema: K8sScaleSchema,
  help: {
    line: "Sets how many pods a deployment runs, within the action's min_replicas and max_replicas, and follows the rollout.",
    example: [
      'scale-workers:  # /ops scale-workers <service> 6',
      '  kind: k8s.scale',
      '  summary: Set how many worker pods run',
      '  deployment: worker',
      '  max_replicas: 12',
    ].join('\n'),
  },
  idempotent: () => true,
  target: onDeployment.target,

  constraints(config, params) {
    return boundsProblem(config, params);
  },

  check(config, service) {
    const problems = deploymentProblems(config.deployment, service);
    if (config.min_replicas > config.max_replicas) {
      problems.push({
        path: ['min_replicas'],
        message: `must not be above max_replicas (${config.max_replicas})`,
      });
    }
    return problems;
  },

  async plan(config, ctx) {
    const replicas = replicasOf(config, ctx.params);
    const target = ctx.kubernetes();
    const facts = deploymentFacts(await readDeployment(target, config.deployment));
    const change = replicas === facts.replicas ? 'none' : `${facts.replicas} → ${replicas} replicas`;
    return {
      summary:
        replicas === facts.replicas
          ? `${facts.name} already runs ${replicas} replicas; scaling changes nothing.`
          : `Scale ${facts.name} in ${target.namespace} from ${facts.replicas} to ${replicas} replicas.`,
      table: deploymentTable(target, facts, change),
    };
  },

  async execute(config, ctx) {
    const replicas = replicasOf(config, ctx.params);
    const target = ctx.kubernetes();
    const before = deploymentFacts(await readDeployment(target, config.deployment));
    await kubeCall(target, `deployment ${before.name}`, () =>
      target.apps.patchNamespacedDeploymentScale(
        { name: before.name, namespace: target.namespace, body: { spec: { replicas } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    ctx.progress(`Scaling ${before.name} from ${before.replicas} to ${replicas} replicas…`);
    const done = await followRollout(target, before.name, {
      deadlineMs: config.rollout_deadline,
      progress: ctx.progress,
    });
    const after = deploymentFacts(await readDeployment(target, before.name));
    return {
      summary: `Scaled ${before.name} from ${before.replicas} to ${replicas} replicas: ${done}.`,
      table: deploymentTable(target, after, `was ${before.replicas} replicas`),
    };
  },
};

/** Why this replica count may not be used, if it may not. */
function boundsProblem(config: K8sScaleAction, params: ParamValues): string | undefined {
  const replicas = params.replicas;
  if (typeof replicas !== 'number') return undefined;
  if (replicas < config.min_replicas || replicas > config.max_replicas) {
    return `${replicas} replicas is outside what this action allows for ${config.deployment} (${config.min_replicas} to ${config.max_replicas}).`;
  }
  return undefined;
}

function replicasOf(config: K8sScaleAction, params: ParamValues): number {
  const problem = boundsProblem(config, params);
  if (problem) throw new UserError(problem);
  const replicas = params.replicas;
  if (typeof replicas !== 'number') throw new UserError('Say how many replicas, e.g. `replicas=3`.');
  return replicas;
}
