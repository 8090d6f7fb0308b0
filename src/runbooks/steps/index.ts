import type { StepType } from '../config.js';
import type { StepRunner } from '../step-runner.js';
import { actionStep } from './action.js';
import { askStep } from './ask.js';
import { checkStep } from './check.js';
import { declareStep } from './declare.js';
import { escalateStep } from './escalate.js';
import { lookupStep } from './lookup.js';
import { messageStep } from './message.js';
import { waitStep } from './wait.js';

/** Every step type's runner, by the key that names the type in ops.yml. */
export const STEP_RUNNERS: { [T in StepType]: StepRunner<T> } = {
  action: actionStep,
  lookup: lookupStep,
  check: checkStep,
  wait: waitStep,
  ask: askStep,
  message: messageStep,
  declare: declareStep,
  escalate: escalateStep,
};
