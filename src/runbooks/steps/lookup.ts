import { checkParams } from '../../actions/params.js';
import { own } from '../../config/own.js';
import { NotFoundError, UserError } from '../../errors.js';
import { runLookup } from '../../lookups/lookup.js';
import type { StepRunner } from '../step-runner.js';

/** Runs one of the service's lookups as the runbook's requester (its role checked): done with its rows. */
export const lookupStep: StepRunner<'lookup'> = async ({ run, step, fill }, deps) => {
  const lookup = own(own(deps.config.services, run.service)?.lookups ?? {}, step.lookup);
  if (!lookup) throw new NotFoundError(`${run.service} has no lookup ${step.lookup}.`);
  await deps.authorizer.require(
    {
      kind: 'lookup',
      actor: run.requested_by,
      channel: run.channel_id,
      service: run.service,
      action: `show ${step.lookup}`,
      requiredRole: lookup.role,
    },
    'execute',
    run.id,
  );
  const raw: Record<string, string> = {};
  for (const name of Object.keys(lookup.params)) {
    const value = run.params[name];
    if (value !== undefined) raw[name] = String(value);
  }
  for (const [name, value] of Object.entries(step.with))
    raw[name] = typeof value === 'number' ? String(value) : fill(value);
  const checked = checkParams(lookup.params, raw);
  if (!checked.ok) {
    const problems = Object.entries(checked.errors).map(([name, error]) => `${name}: ${error}`);
    throw new UserError(`The params for ${step.lookup} are not valid (${problems.join('; ')}).`);
  }
  const table = await runLookup(lookup, deps.database(run.service, lookup.database), checked.values);
  const columns = Object.fromEntries(
    table.columns.map((column, i) => [column, table.rows.slice(0, 50).map((row) => row[i] ?? '')]),
  );
  return {
    kind: 'done',
    result: { rows: table.total, columns },
    line: `${step.lookup}: ${table.total === 1 ? '1 row' : `${table.total} rows`}${previewOf(table)}`,
  };
};

/** The first rows as `a | b` lines, for the thread. */
function previewOf(table: { columns: string[]; rows: string[][] }): string {
  if (table.rows.length === 0) return '';
  const lines = [table.columns.join(' | '), ...table.rows.slice(0, 10).map((row) => row.join(' | '))];
  return `\n\`\`\`${lines.join('\n')}\`\`\``;
}
