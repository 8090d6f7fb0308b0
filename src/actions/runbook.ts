import { z } from 'zod';
import type { ConfigProblem, ServiceShape } from '../config/problems.js';
import { type Step, StepsSchema } from '../runbooks/config.js';
import { describeStep } from '../runbooks/describe.js';
import { fillers } from '../runbooks/template.js';
import { type ActionKind, baseActionFields, RISKS, type Risk } from './types.js';

/** An ops.yml entry of kind `runbook`: a procedure of steps, each run by its own rules (src/runbooks/). */
export const RunbookSchema = z.strictObject({
  kind: z.literal('runbook'),
  summary: baseActionFields.summary,
  role: baseActionFields.role,
  params: baseActionFields.params,
  /** A runbook's risk is its riskiest action step's, worked out from the service's actions. */
  risk: z
    .never({ error: "is worked out for a runbook (its riskiest action step's risk); remove it" })
    .optional()
    .transform((): Risk => 'low'),
  steps: StepsSchema,
});
export type RunbookAction = z.infer<typeof RunbookSchema>;

/**
 * `kind: runbook`: a procedure as one command. Its run is started on request and driven step by step by the
 * runbook engine (src/runbooks/engine.ts) on its own queue; every action step is a run of its own, planned,
 * authorized and confirmed or approved by its own risk.
 */
export const runbookKind: ActionKind<RunbookAction> = {
  kind: 'runbook',
  configSchema: RunbookSchema,
  help: {
    line: 'Runs a procedure step by step: actions (each confirmed by its own risk), lookups, checks, waits, questions, messages, declare and escalate.',
    example: [
      'first-look:  # /ops first-look <service>',
      '  kind: runbook',
      '  summary: Check the API, say what to read, wait for it to recover',
      '  steps:',
      '    - { name: api, check: api }',
      '    - { name: logs, message: "The API is {api.level}: read /ops logs <service> api-gateway level=error" }',
      '    - { name: settle, wait: { until: api, timeout: 5m }, when: { step: api, level: [warning, critical] } }',
    ].join('\n'),
  },
  // Resuming is safe: every step is claimed once in PostgreSQL, so a redelivered runbook goes on where it was.
  idempotent: () => true,
  risk: (config, riskOf) =>
    config.steps.reduce<Risk>((worst, step) => {
      const risk = step.type === 'action' ? (riskOf(step.action) ?? 'low') : 'low';
      return RISKS.indexOf(risk) > RISKS.indexOf(worst) ? risk : worst;
    }, 'low'),
  check: (config, service) => stepProblems(config.steps, service),

  async plan(config, ctx) {
    const count = config.steps.length;
    // The questions with the runbook's params filled in; later steps' answers are not known yet.
    const { known } = fillers(ctx.params, []);
    return {
      summary: `${count} ${count === 1 ? 'step' : 'steps'}; each action step shows its own plan and asks as its risk requires.`,
      table: {
        columns: ['#', 'step', 'does'],
        rows: config.steps.map((step, i) => [String(i + 1), step.name, describeStep(step, known)]),
        total: count,
      },
    };
  },

  execute() {
    return Promise.reject(new Error('a runbook is driven by the runbook engine, not executed as one action'));
  },
};

/** Steps that name what the service lacks, conditions on later steps, jumps backwards (a cycle). */
export function stepProblems(steps: Step[], service: ServiceShape): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const names = steps.map((step) => step.name);
  const missing = (what: string, name: string, known: string[] | undefined) =>
    known && !known.includes(name)
      ? `names ${what} ${name}, which this service does not have (${what}s: ${known.join(', ') || 'none'})`
      : undefined;
  steps.forEach((step, i) => {
    const at = (...path: (string | number)[]) => ['steps', i, ...path];
    const problem = (path: (string | number)[], message: string | undefined) => {
      if (message) problems.push({ path, message });
    };
    if (step.type === 'action') {
      const kinds = service.actions;
      // A runbook is no step: the list offered is the actions a step may run.
      const runnable = kinds && Object.keys(kinds).filter((name) => kinds[name] !== 'runbook');
      problem(
        at('action'),
        kinds?.[step.action] === 'runbook'
          ? `names ${step.action}, a runbook; a step cannot start another runbook (actions a step may run: ${runnable?.join(', ') || 'none'})`
          : missing('action', step.action, runnable),
      );
    }
    if (step.type === 'lookup') problem(at('lookup'), missing('lookup', step.lookup, service.lookups));
    if (step.type === 'check') problem(at('check'), missing('health check', step.check, service.checks));
    if (step.type === 'wait' && 'until' in step.wait) {
      problem(at('wait', 'until'), missing('health check', step.wait.until, service.checks));
    }
    if (step.when) problem(at('when', 'step'), lookBack(step.when.step, names.indexOf(step.when.step), i));
    if (step.on_failure !== 'stop' && step.on_failure !== 'continue') {
      problem(at('on_failure'), jumpForward(step.on_failure, names.indexOf(step.on_failure), i));
    }
  });
  return problems;
}

/** Why `when.step` cannot name the step at `target` from step `i`, if it cannot: a condition looks only back. */
function lookBack(name: string, target: number, i: number): string | undefined {
  if (target < 0) return `names ${name}, which is not a step of this runbook`;
  if (target === i) return `names ${name}, this step itself; a condition can only look at an earlier step`;
  if (target > i) return `names ${name}, a later step; a condition can only look at an earlier step`;
  return undefined;
}

/** Why `on_failure` cannot go to the step at `target` from step `i`, if it cannot: jumps go only forward. */
function jumpForward(name: string, target: number, i: number): string | undefined {
  if (target < 0) {
    return `names ${name}, which is not a step of this runbook; on_failure is stop, continue or a later step's name`;
  }
  if (target <= i) {
    const where = target === i ? 'to this step itself' : 'back to an earlier step';
    return `goes ${where} (${name}); on_failure can only jump to a later step, so that no step runs twice`;
  }
  return undefined;
}
