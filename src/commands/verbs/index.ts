import type { OpsConfig } from '../../config/ops-config.js';
import type { ParsedCommand } from '../parse.js';
import { accessVerb } from './access.js';
import { auditVerb } from './audit.js';
import { digestVerb } from './digest.js';
import { elevateVerb } from './elevate.js';
import { followupVerb } from './followup.js';
import { followupsVerb } from './followups.js';
import { helpVerb } from './help.js';
import { historyVerb } from './history.js';
import { incidentVerb } from './incident.js';
import { logsVerb } from './logs.js';
import { noteVerb } from './note.js';
import { oncallVerb } from './oncall.js';
import { podsVerb } from './pods.js';
import { roleVerb } from './role.js';
import { runVerb } from './run.js';
import { showVerb } from './show.js';
import { statusVerb } from './status.js';
import { timelineVerb } from './timeline.js';
import type { CommandContext, NoArgs, Verb, VerbReply } from './verb.js';
import { whoamiVerb } from './whoami.js';

/**
 * Every `/ops` verb, in the order `/ops help` lists them; a new verb is its file and one line here. The key is
 * the verb's name (BY_NAME below makes the compiler check it), and ops.yml may name no action after one.
 */
const VERBS = {
  help: helpVerb,
  whoami: whoamiVerb,
  run: runVerb,
  status: statusVerb,
  show: showVerb,
  pods: podsVerb,
  logs: logsVerb,
  history: historyVerb,
  oncall: oncallVerb,
  digest: digestVerb,
  incident: incidentVerb,
  note: noteVerb,
  timeline: timelineVerb,
  followup: followupVerb,
  followups: followupsVerb,
  audit: auditVerb,
  role: roleVerb,
  elevate: elevateVerb,
  access: accessVerb,
};

/** One `/ops` verb's name. */
export type VerbName = keyof typeof VERBS;

/** The names of the `/ops` verbs (DESIGN §3), which no configured action may take. */
export const VERB_NAMES = Object.keys(VERBS) as readonly VerbName[];

/** Whether `word` is a verb rather than an action name. */
export function isVerbName(word: string): word is VerbName {
  return Object.hasOwn(VERBS, word);
}

type ArgsOf<N extends VerbName> = Parameters<(typeof VERBS)[N]['run']>[1];

/** A verb and the args read from its text, in one object: `{ kind: 'status', service: 'bentham' }`. */
export type VerbIntent<N extends VerbName = VerbName> = { [K in N]: { kind: K } & ArgsOf<K> }[N];

/** The registry seen one verb at a time, so that a verb's intent and its run() are checked together. */
const BY_NAME: { [N in VerbName]: Verb<ArgsOf<N>, N> } = VERBS;

/** Every verb, in help's order. */
export const REGISTERED_VERBS: readonly Verb<NoArgs>[] = Object.values(VERBS);

/** Every verb's usage and one line of help, in help's order. */
const VERB_LINES = REGISTERED_VERBS.map(({ usage, help }) => ({ usage, help }));

/** Reads the args typed after verb `name`; wrong args throw a UserError saying its usage. */
export function readVerb<N extends VerbName>(
  name: N,
  parsed: ParsedCommand,
  config: OpsConfig,
): VerbIntent<N> {
  return { kind: name, ...BY_NAME[name].args(parsed, config) };
}

/** Runs the verb an intent names, with its args; what it answers is for the handler to render. */
export function answerVerb<N extends VerbName>(
  intent: VerbIntent<N>,
  ctx: CommandContext,
): Promise<VerbReply> {
  return BY_NAME[intent.kind].run({ ...ctx, verbs: VERB_LINES }, intent);
}
