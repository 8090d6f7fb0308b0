import { z } from 'zod';
import { type SqlAction, SqlActionSchema, sqlKind } from './sql.js';
import type { ActionKind } from './types.js';

/** Every action kind opsbot knows; help, modals and config validation are generated from this list. */
const ACTION_KINDS = [sqlKind] as const;

/** An action entry of ops.yml, of any kind. */
export const ActionConfigSchema = z.discriminatedUnion('kind', [SqlActionSchema]);
export type ActionConfig = SqlAction;

const byKind = new Map<string, ActionKind<ActionConfig>>(ACTION_KINDS.map((kind) => [kind.kind, kind]));

/** The kind that implements an action config. */
export function kindOf(config: ActionConfig): ActionKind<ActionConfig> {
  const kind = byKind.get(config.kind);
  if (!kind) throw new Error(`Unknown action kind ${config.kind}`);
  return kind;
}
