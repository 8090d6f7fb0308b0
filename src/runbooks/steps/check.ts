import type { StepRunner } from '../step-runner.js';

/** Runs one of the service's health checks: done with its level, whatever the level (`when:` reads it). */
export const checkStep: StepRunner<'check'> = async ({ run, step }, deps) => {
  const result = await deps.check(run.service, step.check);
  return {
    kind: 'done',
    result: { level: result.level },
    line: `${step.check} is ${result.level}: ${result.detail}`,
  };
};
