import { z } from 'zod';
import { backupKind } from './backup.js';
import { degradedModeKind } from './degraded-mode.js';
import { dockerExecKind } from './docker-exec.js';
import { dockerRestartKind } from './docker-restart.js';
import { dockerScaleKind } from './docker-scale.js';
import { httpKind } from './http.js';
import { k8sExecKind } from './k8s-exec.js';
import { k8sJobKind } from './k8s-job.js';
import { k8sRestartKind } from './k8s-restart.js';
import { k8sRollbackKind } from './k8s-rollback.js';
import { k8sScaleKind } from './k8s-scale.js';
import { maintenanceKind } from './maintenance.js';
import { restoreKind } from './restore.js';
import { runbookKind } from './runbook.js';
import { sqlKind } from './sql.js';
import type { ActionKind } from './types.js';

/**
 * Every action kind opsbot knows, in the order error messages name them; adding a kind is its file and one
 * line here. Config validation, help, modals and `/ops status` state lines are generated from this list.
 */
export const ACTION_KINDS = [
  sqlKind,
  degradedModeKind,
  maintenanceKind,
  httpKind,
  backupKind,
  restoreKind,
  dockerRestartKind,
  dockerScaleKind,
  dockerExecKind,
  k8sRestartKind,
  k8sRollbackKind,
  k8sScaleKind,
  k8sExecKind,
  k8sJobKind,
  runbookKind,
] as const;

/** The config schema of each kind in ACTION_KINDS, position by position (a tuple, as the union needs). */
type ConfigSchemas<Kinds extends readonly unknown[]> = {
  -readonly [I in keyof Kinds]: Kinds[I] extends { configSchema: infer Schema } ? Schema : never;
};

const KIND_NAMES = ACTION_KINDS.map((kind) => kind.kind).join(', ');

/** An action entry of ops.yml, of any kind: the union of every kind's schema, told apart by `kind`. */
export const ActionConfigSchema = z.discriminatedUnion(
  'kind',
  ACTION_KINDS.map((kind) => kind.configSchema) as ConfigSchemas<typeof ACTION_KINDS>,
  {
    error: (issue) =>
      typeof issue.input === 'object' && issue.input !== null && 'kind' in issue.input
        ? `is not an action kind opsbot knows (known: ${KIND_NAMES})`
        : `is required: one of ${KIND_NAMES}`,
  },
);
export type ActionConfig = z.infer<typeof ActionConfigSchema>;

const byKind = new Map<string, ActionKind<ActionConfig>>(
  ACTION_KINDS.map((kind) => [kind.kind, kind as ActionKind<ActionConfig>]),
);

/** The kind that implements an action config. */
export function kindOf(config: ActionConfig): ActionKind<ActionConfig> {
  const kind = byKind.get(config.kind);
  if (!kind) throw new Error(`Unknown action kind ${config.kind}`);
  return kind;
}

const stateDescribers = new Map(
  ACTION_KINDS.flatMap((kind: ActionKind<ActionConfig>) =>
    kind.serviceState ? [[kind.serviceState.key, kind.serviceState.describe] as const] : [],
  ),
);

/**
 * The `/ops status` line for a fact recorded in service_state, from the kind that records it; undefined for
 * keys no kind describes and for values that are not switched on.
 */
export function describeServiceState(key: string, value: unknown): string | undefined {
  return stateDescribers.get(key)?.(value);
}

/** The service_state key a kind records its switched-on state under (degraded-mode's, for the digest). */
export function serviceStateKey(kind: ActionConfig['kind']): string | undefined {
  return byKind.get(kind)?.serviceState?.key;
}
