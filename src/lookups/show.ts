import type { Pool } from 'pg';
import { checkParams, paramsUsage } from '../actions/params.js';
import { authorize, type ChannelAuthority } from '../auth/authorizer.js';
import type { OpsConfig } from '../config/ops-config.js';
import { own } from '../config/own.js';
import { NotFoundError, UserError } from '../errors.js';
import type { ResultTable } from '../result-table.js';
import { type LookupConfig, runLookup } from './lookup.js';

/** What `/ops show <service> <lookup> …` asks for, before the lookup's params are known. */
export interface ShowRequest {
  actor: string;
  channel: string;
  service: string;
  lookup: string;
  args: string[];
  named: Record<string, string>;
}

/** A lookup's rows and the line that says what they are. */
export interface ShowResult {
  header: string;
  table: ResultTable;
}

export interface LookupServiceDeps extends ChannelAuthority {
  config: Pick<OpsConfig, 'services' | 'channels'>;
  /** The pool of database `name` of `service`. */
  database(service: string, name: string): Pool;
}

/** Read-only lookups: authorized as actions are (the channels they may be asked in, the role on the service). */
export class LookupService {
  constructor(private readonly deps: LookupServiceDeps) {}

  async show(request: ShowRequest): Promise<ShowResult> {
    const { service, lookup: name } = request;
    const serviceConfig = own(this.deps.config.services, service);
    if (!serviceConfig) throw new NotFoundError(`There is no service called ${service}.`);
    const lookup = own(serviceConfig.lookups, name);
    if (!lookup) {
      const known = Object.keys(serviceConfig.lookups);
      throw new NotFoundError(
        known.length === 0
          ? `${service} has no lookups.`
          : `${service} has no lookup \`${name}\`; its lookups are ${known.join(', ')}.`,
      );
    }
    const { actor, channel } = request;
    await authorize(this.deps, {
      kind: 'lookup',
      actor,
      channel,
      service,
      action: `show ${name}`,
      requiredRole: lookup.role,
    });
    const params = this.params(request, lookup);
    const table = await runLookup(lookup, this.deps.database(service, lookup.database), params);
    const shown = Object.values(params).map(String).join(' ');
    const title = `*${service} ${name}*${shown ? ` \`${shown.replace(/`/g, "'").slice(0, 200)}\`` : ''}`;
    const count = table.total === 1 ? '1 row' : `${table.total} rows`;
    return { header: `${title}: ${count}${lookup.summary ? ` (${lookup.summary})` : ''}.`, table };
  }

  /** Positional args fill the declared params in order, then `name=value`; any problem names the usage. */
  private params(request: ShowRequest, lookup: LookupConfig) {
    const names = Object.keys(lookup.params);
    const usage = `\`/ops show ${request.service} ${request.lookup} ${paramsUsage(lookup.params)}\``.replace(
      ' `',
      '`',
    );
    if (request.args.length > names.length) throw new UserError(`Too many arguments; the usage is ${usage}.`);
    const raw: Record<string, string> = {};
    request.args.forEach((value, i) => {
      raw[names[i] as string] = value;
    });
    for (const [name, value] of Object.entries(request.named)) {
      if (!names.includes(name)) {
        throw new UserError(`${request.lookup} has no param called ${name}; the usage is ${usage}.`);
      }
      if (Object.hasOwn(raw, name)) throw new UserError(`${name} is given twice.`);
      raw[name] = value;
    }
    const checked = checkParams(lookup.params, raw);
    if (checked.ok) return checked.values;
    const problems = Object.entries(checked.errors).map(([name, error]) => `${name}: ${error}`);
    throw new UserError(`${problems.join(' ')} The usage is ${usage}.`);
  }
}

/** The rows as CSV (RFC 4180), with a header row; cells that a spreadsheet would run as formulas are defused. */
export function tableCsv(table: ResultTable): string {
  const cell = (text: string) => {
    const formula = /^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text);
    const safe = formula ? `'${text}` : text;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const lines = [table.columns, ...table.rows].map((row) => row.map(cell).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
