import { riskOf } from '../../actions/catalog.js';
import type { ParamSpec } from '../../actions/params.js';
import { paramsUsage } from '../../actions/params.js';
import { kindOf } from '../../actions/registry.js';
import type { PermittedAction } from '../../auth/access.js';
import type { OpsConfig } from '../../config/ops-config.js';

/** The services' actions, for a runbook's risk (its riskiest action step's). */
type Services = Pick<OpsConfig, 'services'>;

/** A verb as `/ops help` lists it: what follows `/ops`, and what it does. */
export interface VerbLine {
  usage: string;
  help: string;
}

/** One line per action someone may request: usage, summary, role and risk (a runbook's: its riskiest step's). */
export function actionLines(actions: PermittedAction[], services: Services): string[] {
  return actions.map(({ service, action, config }) => {
    const usage = `/ops ${action} ${service} ${paramsUsage(config.params)}`.trim();
    const risk = riskOf(services, service, config);
    return `• \`${usage}\` — ${config.summary} _(${config.role}, ${risk} risk)_`;
  });
}

/** The `/ops help` text: every verb, and only the actions this user may run in this channel. */
export function helpText(verbs: readonly VerbLine[], actions: PermittedAction[], services: Services): string {
  const lines = actionLines(actions, services);
  return [
    '*opsbot* — what you can do here',
    ...verbs.map(({ usage, help }) => `• \`/ops ${usage}\` — ${help}`),
    '*Actions*',
    ...(lines.length > 0 ? lines : ['_There are no actions you may run in this channel._']),
    'Missing arguments open a form.',
  ].join('\n');
}

/** `/ops help <action>`: each entry of the action this user may run here, with its kind and its params. */
export function actionHelpText(action: string, entries: PermittedAction[], services: Services): string {
  if (entries.length === 0) {
    return `There is no \`${action}\` you may run in this channel; \`/ops help\` lists what you may.`;
  }
  const blocks = entries.map((entry) => {
    const [usage] = actionLines([entry], services);
    const params = Object.entries(entry.config.params).map(
      ([name, spec]) => `    • ${paramLine(name, spec)}`,
    );
    return [usage, `    ${entry.config.kind}: ${kindOf(entry.config).help.line}`, ...params].join('\n');
  });
  return [...blocks, 'Missing arguments open a form.'].join('\n');
}

function paramLine(name: string, spec: ParamSpec): string {
  const about = spec.description ?? spec.label;
  const rule =
    spec.type === 'integer'
      ? `a whole number${spec.min === undefined ? '' : ` from ${spec.min}`}${spec.max === undefined ? '' : ` up to ${spec.max}`}`
      : spec.enum
        ? `one of ${spec.enum.join(', ')}`
        : spec.pattern
          ? `matching \`${spec.pattern}\``
          : 'text';
  return `\`${name}\`${spec.optional ? ' (optional)' : ''}: ${about ? `${about}; ` : ''}${rule}`;
}
