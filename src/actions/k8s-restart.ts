import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { z } from 'zod';
import { kubeCall } from '../kubernetes/calls.js';
import { deploymentFacts, deploymentTable, readDeployment, refusePaused } from '../kubernetes/deployments.js';
import { followRollout } from '../kubernetes/rollout.js';
import { k8sFields, onDeployment } from './k8s-fields.js';
import { type ActionKind, fixedParams } from './types.js';

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** An ops.yml entry of kind `k8s.restart`. */
export const K8sRestartSchema = z.strictObject({
  kind: z.literal('k8s.restart'),
  ...k8sFields,
  params: fixedParams('k8s.restart', {}),
});

export type K8sRestartAction = z.infer<typeof K8sRestartSchema>;

/** `kubectl rollout restart`: new pods from the same template, rolled out by the deployment's strategy. */
export const k8sRestartKind: ActionKind<K8sRestartAction> = {
  kind: 'k8s.restart',
  configSchema: K8sRestartSchema,
  help: {
    line: "Restarts a deployment's pods by a rolling update (kubectl rollout restart) and follows the rollout.",
    example: [
      'restart:  # /ops restart <service>',
      '  kind: k8s.restart',
      '  summary: Rolling restart of the API gateway',
      '  deployment: api-gateway',
    ].join('\n'),
  },
  // A second restart after a cut-off one starts another rollout: left to a person to decide.
  idempotent: () => false,
  ...onDeployment,

  async plan(config, ctx) {
    const target = ctx.kubernetes();
    const facts = deploymentFacts(await readDeployment(target, config.deployment));
    refusePaused(facts, 'restarted');
    return {
      summary: `Restart ${facts.name} in ${target.namespace}: replace its ${facts.replicas} pods (revision ${facts.revision}) by a rolling update.`,
      table: deploymentTable(target, facts, `restart ${facts.replicas} pods`),
    };
  },

  async execute(config, ctx) {
    const target = ctx.kubernetes();
    const facts = deploymentFacts(await readDeployment(target, config.deployment));
    refusePaused(facts, 'restarted');
    const restartedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await kubeCall(target, `deployment ${facts.name}`, () =>
      target.apps.patchNamespacedDeployment(
        {
          name: facts.name,
          namespace: target.namespace,
          body: { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: restartedAt } } } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
    );
    ctx.progress(`Restart of ${facts.name} started at ${restartedAt}; following the rollout…`);
    const done = await followRollout(target, facts.name, {
      deadlineMs: config.rollout_deadline,
      progress: ctx.progress,
    });
    const after = deploymentFacts(await readDeployment(target, facts.name));
    return { summary: `Restarted: ${done}.`, table: deploymentTable(target, after, 'restarted') };
  },
};
