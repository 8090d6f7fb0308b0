import type { ParamValues } from '../actions/params.js';
import { UserError } from '../errors.js';
import type { StepResult, StepRow } from './store.js';

/** The names a template may use: the runbook's params, and each finished step's result by its name. */
export interface TemplateScope {
  params: ParamValues;
  results: ReadonlyMap<string, StepResult | null>;
}

const PLACEHOLDER = /\{([a-z][a-z0-9_]*)(?:\.([a-z][a-z0-9_-]*))?\}/g;

/**
 * Fills `{param}` with one of the runbook's params and `{step.field}` with a field of an earlier step's result
 * (`{ask.value}`, `{check.level}`, `{failed.project_id}`: a column's values, comma-separated). A name that has
 * no value is a UserError naming it: the step fails rather than run with a hole in it.
 */
export function fill(template: string, scope: TemplateScope): string {
  return template.replace(PLACEHOLDER, (whole, name: string, field: string | undefined) => {
    const value = placeholderValue(scope, name, field);
    if (value !== undefined) return value;
    if (field === undefined) throw new UserError(`${whole} names no param of this runbook.`);
    const result = scope.results.get(name);
    const noRows = result?.columns && Object.hasOwn(result.columns, field);
    throw new UserError(
      `${whole} has no value: step ${name} ${noRows ? 'found no rows' : `did not record ${field}`}.`,
    );
  });
}

/**
 * The fillers of a runbook's templates, from its params and its steps' rows so far: `fill` as above, and
 * `known`, which leaves a placeholder whose value is not known yet as it is (what a card shows of a step
 * still to come).
 */
export function fillers(
  params: ParamValues,
  rows: readonly Pick<StepRow, 'name' | 'result'>[],
): { fill(template: string): string; known(template: string): string } {
  const scope = { params, results: new Map(rows.map((each) => [each.name, each.result])) };
  return {
    fill: (template) => fill(template, scope),
    known: (template) =>
      template.replace(
        PLACEHOLDER,
        (whole, name: string, field: string | undefined) => placeholderValue(scope, name, field) ?? whole,
      ),
  };
}

/** A placeholder's value: `{name}` a param, `{name.field}` a field of step `name`'s result; undefined if none. */
function placeholderValue(scope: TemplateScope, name: string, field: string | undefined): string | undefined {
  if (field === undefined) {
    const value = Object.hasOwn(scope.params, name) ? scope.params[name] : undefined;
    return value === undefined ? undefined : String(value);
  }
  const result = scope.results.get(name);
  return result ? fieldOf(result, field) : undefined;
}

function fieldOf(result: StepResult, field: string): string | undefined {
  const column = result.columns && Object.hasOwn(result.columns, field) ? result.columns[field] : undefined;
  // A column of no rows is no value: the step fails rather than run with an empty param or sentence.
  if (column) return column.length > 0 ? [...new Set(column)].join(',') : undefined;
  const scalar = (result as Record<string, unknown>)[field];
  return typeof scalar === 'string' || typeof scalar === 'number' ? String(scalar) : undefined;
}
