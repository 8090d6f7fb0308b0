import type { StepRunner } from '../step-runner.js';

/** Posts its text (a template) in the runbook's thread; the engine's note of the step is the post itself. */
export const messageStep: StepRunner<'message'> = async ({ step, fill }) => ({
  kind: 'done',
  line: fill(step.message),
});
