import { z } from 'zod';
import { kubeCall } from '../kubernetes/calls.js';
import {
  deploymentFacts,
  deploymentTable,
  readDeployment,
  readDeploymentJson,
  refusePaused,
} from '../kubernetes/deployments.js';
import { previousRevision } from '../kubernetes/revisions.js';
import { followRollout } from '../kubernetes/rollout.js';
import { k8sFields, onDeployment } from './k8s-fields.js';
import { type ActionKind, fixedParams } from './types.js';

/** An ops.yml entry of kind `k8s.rollback`. */
export const K8sRollbackSchema = z.strictObject({
  kind: z.literal('k8s.rollback'),
  ...k8sFields,
  params: fixedParams('k8s.rollback', {}),
});

export type K8sRollbackAction = z.infer<typeof K8sRollbackSchema>;

/** Why a rollback whose guarded patch was refused changed nothing, and what to do next. */
function changedSincePlan(name: string): string {
  return `${name} changed since the plan (someone deployed); nothing was changed; request the rollback again to see the new plan.`;
}

/** `kubectl rollout undo`: the previous revision's pod template, rolled out again. */
export const k8sRollbackKind: ActionKind<K8sRollbackAction> = {
  kind: 'k8s.rollback',
  configSchema: K8sRollbackSchema,
  help: {
    line: "Rolls a deployment back to its previous revision's pod template (kubectl rollout undo) and follows the rollout.",
    example: [
      'rollback:  # /ops rollback <service>',
      '  kind: k8s.rollback',
      '  summary: Roll the API gateway back to its previous revision',
      '  deployment: api-gateway',
      '  risk: high',
    ].join('\n'),
  },
  // Undoing twice goes back and forth between two revisions: never repeated without a person.
  idempotent: () => false,
  ...onDeployment,

  async plan(config, ctx) {
    const target = ctx.kubernetes();
    const { deployment, json } = await readDeploymentJson(target, config.deployment);
    const facts = deploymentFacts(deployment);
    refusePaused(facts, 'rolled back');
    const previous = await previousRevision(target, json);
    const change = previous.matchesCurrent
      ? `none: already revision ${previous.revision}'s template`
      : `to revision ${previous.revision}: ${previous.images.join(', ')}`;
    return {
      summary: previous.matchesCurrent
        ? `${facts.name} already runs revision ${previous.revision}'s template; rolling back changes nothing.`
        : `Roll ${facts.name} back from revision ${facts.revision} (${facts.images.join(', ')}) to revision ${previous.revision} (${previous.images.join(', ')}).`,
      table: deploymentTable(target, facts, change),
    };
  },

  async execute(config, ctx) {
    const target = ctx.kubernetes();
    const { deployment, json } = await readDeploymentJson(target, config.deployment);
    const facts = deploymentFacts(deployment);
    refusePaused(facts, 'rolled back');
    const previous = await previousRevision(target, json);
    if (previous.matchesCurrent) {
      return {
        summary: `Nothing to do: ${facts.name} already runs revision ${previous.revision}'s template.`,
        table: deploymentTable(target, facts, 'none'),
      };
    }
    await kubeCall(
      target,
      `deployment ${facts.name}`,
      () =>
        target.apps.patchNamespacedDeployment({
          name: facts.name,
          namespace: target.namespace,
          body: previous.patch,
        }),
      { testFailed: changedSincePlan(facts.name) },
    );
    ctx.progress(`Rolling ${facts.name} back to revision ${previous.revision}; following the rollout…`);
    const done = await followRollout(target, facts.name, {
      deadlineMs: config.rollout_deadline,
      progress: ctx.progress,
    });
    const after = deploymentFacts(await readDeployment(target, facts.name));
    return {
      summary: `Rolled back to revision ${previous.revision}'s template: ${done}.`,
      table: deploymentTable(target, after, `was revision ${facts.revision}`),
    };
  },
};
