/**
 * The names of the `/ops` verbs (DESIGN §3). They sit apart from the registry (index.ts) because ops.yml
 * validation needs them to refuse an action that would shadow a verb, and config sits below every service a
 * verb calls; the registry must name exactly these (the compiler checks it).
 */
export const BUILTIN_VERBS = [
  'help',
  'whoami',
  'run',
  'status',
  'show',
  'pods',
  'history',
  'oncall',
  'digest',
  'incident',
  'note',
  'timeline',
  'audit',
  'role',
] as const;

/** One `/ops` verb's name. */
export type VerbName = (typeof BUILTIN_VERBS)[number];

/** Whether `word` is a verb rather than an action name. */
export function isVerbName(word: string): word is VerbName {
  return (BUILTIN_VERBS as readonly string[]).includes(word);
}
