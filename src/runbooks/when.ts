import type { When } from './config.js';
import { describeWhen } from './describe.js';
import type { StepRow } from './store.js';

/** Whether a step's condition holds on the earlier steps' rows; with why not, when it does not. */
export function judge(when: When | undefined, rows: StepRow[]): { run: true } | { run: false; why: string } {
  if (!when) return { run: true };
  const earlier = rows.find((row) => row.name === when.step);
  const conditions = Boolean(when.level || when.choice || when.exit_code || when.rows);
  // A failed step's result still counts for a condition on it (a command's exit code); bare `step` means it succeeded.
  const judged = earlier?.state === 'done' || (conditions && earlier?.state === 'failed' && earlier.result);
  if (!earlier || !judged) {
    return {
      run: false,
      why: `${when.step} was ${earlier?.state ?? 'not run'}, so “${describeWhen(when)}” cannot hold`,
    };
  }
  const result = earlier.result ?? {};
  const holds =
    (!when.level || (result.level !== undefined && when.level.includes(result.level))) &&
    (!when.choice || (result.choice !== undefined && when.choice.includes(result.choice))) &&
    (!when.exit_code || (result.exit_code !== undefined && when.exit_code.includes(result.exit_code))) &&
    (!when.rows || countHolds(when.rows, result.rows));
  return holds
    ? { run: true }
    : { run: false, why: `not needed: ${describeWhen(when)} is not so (${found(result)})` };
}

function countHolds(rows: NonNullable<When['rows']>, count: number | undefined): boolean {
  if (count === undefined) return false;
  return (
    (rows.gt === undefined || count > rows.gt) &&
    (rows.lt === undefined || count < rows.lt) &&
    (rows.eq === undefined || count === rows.eq)
  );
}

function found(result: NonNullable<StepRow['result']>): string {
  const facts = [
    result.level && `level ${result.level}`,
    result.choice && `answer ${result.choice}`,
    result.exit_code !== undefined && `exit code ${result.exit_code}`,
    result.rows !== undefined && `${result.rows} rows`,
  ].filter(Boolean);
  return facts.join(', ') || 'no result';
}
