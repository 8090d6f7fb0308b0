import { z } from 'zod';
import { BackupActionSchema, backupKind } from './backup.js';
import { DegradedModeSchema, degradedModeKind } from './degraded-mode.js';
import { HttpActionSchema, httpKind } from './http.js';
import { K8sRestartSchema, k8sRestartKind } from './k8s-restart.js';
import { K8sRollbackSchema, k8sRollbackKind } from './k8s-rollback.js';
import { K8sScaleSchema, k8sScaleKind } from './k8s-scale.js';
import { MaintenanceSchema, maintenanceKind } from './maintenance.js';
import { RestoreActionSchema, restoreKind } from './restore.js';
import { SqlActionSchema, sqlKind } from './sql.js';
import type { ActionKind } from './types.js';

// Adding a kind: import its schema and kind object, and add each to the two lists below.

/** Every action kind opsbot knows; help, modals and config validation are generated from this list. */
const ACTION_KINDS = [
  sqlKind,
  degradedModeKind,
  maintenanceKind,
  httpKind,
  backupKind,
  restoreKind,
  k8sRestartKind,
  k8sRollbackKind,
  k8sScaleKind,
] as const;
const KIND_NAMES = ACTION_KINDS.map((kind) => kind.kind).join(', ');

/** An action entry of ops.yml, of any kind. */
export const ActionConfigSchema = z.discriminatedUnion(
  'kind',
  [
    SqlActionSchema,
    DegradedModeSchema,
    MaintenanceSchema,
    HttpActionSchema,
    BackupActionSchema,
    RestoreActionSchema,
    K8sRestartSchema,
    K8sRollbackSchema,
    K8sScaleSchema,
  ],
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
