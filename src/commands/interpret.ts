import { findAction } from '../actions/catalog.js';
import { checkParams, type ParamValues, paramsUsage } from '../actions/params.js';
import type { OpsConfig } from '../config/ops-config.js';
import { NotFoundError, UserError } from '../errors.js';
import { type BuiltinIntent, interpretBuiltin } from './builtin.js';
import { parseCommand } from './parse.js';
import { BUILTIN_VERBS } from './verbs.js';

/** What a line of `/ops` text asks for. */
export type Intent =
  | { kind: 'help' }
  | BuiltinIntent
  | { kind: 'run'; service: string; action: string; values: ParamValues }
  /** Args are missing or invalid: collect them in the action's form, pre-filled with what was typed. */
  | {
      kind: 'form';
      service: string;
      action: string;
      prefill: Record<string, string>;
      errors: Record<string, string>;
    };

/** Turns slash text into an intent; unknown verbs, services and args are user errors. */
export function interpret(text: string, config: OpsConfig): Intent {
  const parsed = parseCommand(text);
  const { verb, args, named } = parsed;
  if (verb === '' || verb === 'help') return { kind: 'help' };
  const builtin = interpretBuiltin(parsed);
  if (builtin) return builtin;
  if ((BUILTIN_VERBS as readonly string[]).includes(verb)) {
    throw new UserError(`\`${verb}\` is not available in this version of opsbot. Try \`/ops help\`.`);
  }

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
