import { findAction } from '../actions/catalog.js';
import { checkParams, paramsUsage } from '../actions/params.js';
import type { OpsConfig } from '../config/ops-config.js';
import { NotFoundError, UserError } from '../errors.js';
import { type ParsedCommand, parseCommand } from './parse.js';
import { isVerbName, readVerb, type VerbIntent } from './verbs/index.js';

/** Args of a configured action are missing or invalid: collect them in its form, pre-filled with what was typed. */
export interface FormIntent {
  kind: 'form';
  service: string;
  action: string;
  prefill: Record<string, string>;
  errors: Record<string, string>;
}

/**
 * What a line of `/ops` text asks for: a verb with its args, or a configured action. An action typed with
 * valid args is the `run` verb with the request filled in: `{ kind: 'run', service, action, values }`.
 */
export type Intent = VerbIntent | FormIntent;

/** Turns slash text into an intent; unknown verbs, services and args are user errors. */
export function interpret(text: string, config: OpsConfig): Intent {
  const parsed = parseCommand(text);
  const verb = parsed.verb === '' ? 'help' : parsed.verb;
  return isVerbName(verb) ? readVerb(verb, parsed, config) : interpretAction(parsed, config);
}

/** `/ops <action> <service> [args…] [name=value…]`: positional args fill the params in declared order. */
function interpretAction({ verb, args, named }: ParsedCommand, config: OpsConfig): Intent {
  const offering = Object.entries(config.services)
    .filter(([, service]) => Object.hasOwn(service.actions, verb))
    .map(([name]) => name);
  if (offering.length === 0) throw new UserError(`Unknown command \`${verb}\`. Try \`/ops help\`.`);
  const [service, ...positional] = args;
  if (service === undefined) {
    throw new UserError(
      `Which service? Type \`/ops ${verb} <service>\`; ${verb} is configured for ${offering.join(', ')}.`,
    );
  }
  const action = findAction(config, service, verb);
  if (!action) {
    throw new NotFoundError(
      `${service} has no action \`${verb}\`; it is configured for ${offering.join(', ')}.`,
    );
  }

  const names = Object.keys(action.params);
  const usage = `\`/ops ${verb} ${service} ${paramsUsage(action.params)}\``.replace(' `', '`');
  if (positional.length > names.length) throw new UserError(`Too many arguments; the usage is ${usage}.`);
  const raw: Record<string, string> = {};
  positional.forEach((value, i) => {
    raw[names[i] as string] = value;
  });
  for (const [name, value] of Object.entries(named)) {
    if (!names.includes(name))
      throw new UserError(`${verb} has no param called ${name}; the usage is ${usage}.`);
    if (Object.hasOwn(raw, name)) throw new UserError(`${name} is given twice.`);
    raw[name] = value;
  }

  const checked = checkParams(action.params, raw);
  if (checked.ok) return { kind: 'run', service, action: verb, values: checked.values };
  const typedErrors = Object.fromEntries(Object.entries(checked.errors).filter(([name]) => name in raw));
  return { kind: 'form', service, action: verb, prefill: raw, errors: typedErrors };
}

/** A bounded metrics label for slash text: a verb, a configured action, `unknown`, or `invalid`. */
export function commandLabel(text: string, config: OpsConfig): string {
  try {
    const { verb } = parseCommand(text);
    if (verb === '') return 'help';
    if (isVerbName(verb)) return verb;
    return Object.values(config.services).some((service) => Object.hasOwn(service.actions, verb))
      ? verb
      : 'unknown';
  } catch {
    return 'invalid';
  }
}
