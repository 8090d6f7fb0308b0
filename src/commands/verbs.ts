/** Verbs of `/ops` that are not action names (DESIGN §3); an action may not take one of these names. */
export const BUILTIN_VERBS = [
  'help',
  'whoami',
  'status',
  'show',
  'pods',
  'history',
  'incident',
  'note',
  'timeline',
  'oncall',
  'digest',
  'role',
  'audit',
  'run',
] as const;
