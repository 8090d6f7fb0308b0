import { isVerbName } from '../commands/verbs/index.js';
import type { ConfigProblem } from './problems.js';

/**
 * Actions named after an `/ops` verb, which `/ops <name>` could never reach. Read from the verb registry, so
 * a new verb is refused as an action name with no other edit; the loader runs it on the raw file.
 */
export function verbClashes(raw: unknown): ConfigProblem[] {
  return Object.entries(record(record(raw).services)).flatMap(([service, fields]) =>
    Object.keys(record(record(fields).actions))
      .filter(isVerbName)
      .map((action) => ({
        path: ['services', service, 'actions', action],
        message: 'is a built-in /ops verb; give the action another name',
      })),
  );
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
