import { z } from 'zod';
import { ParamName, RegexSource } from '../actions/params.js';
import { Duration } from '../config/duration.js';
import { HEALTH_LEVELS } from '../health/levels.js';

/*
 * The steps of a `kind: runbook` action (DESIGN §11), in order:
 *
 *   steps:
 *     - { name: pods, lookup: pods }                        # a lookup of this service
 *     - { name: api, check: api }                           # a health check of this service, by name
 *     - { name: restart, action: restart, when: { step: api, level: [warning, critical] } }
 *     - { name: settle, wait: { until: api, timeout: 5m } } # or wait: { for: 2m }
 *     - { name: ask, ask: { text: "Page the DBA?", choices: [yes, no] } }
 *     - { name: page, escalate: { to: S0DBA }, when: { step: ask, choice: yes } }
 *
 * `when:` is structured, never an expression language; a step whose condition is not met is skipped, and so
 * is one whose `when.step` was skipped or failed. `on_failure:` is stop (the default), continue, or the name
 * of a later step to go to. Text fields and `with:` values are templates: `{param}` is one of the runbook's
 * params, `{step.field}` a field of an earlier step's result (an answer's `value`, a lookup's column).
 */

export const StepName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be lower-case letters, digits, - and _, at most 32 characters');

/** One or more values, written as one or as a list. */
function oneOrMore<T extends z.ZodType>(item: T) {
  return z.union([item, z.array(item).min(1)]).transform((value) => (Array.isArray(value) ? value : [value]));
}

const Count = z
  .strictObject({ gt: z.number().int(), lt: z.number().int(), eq: z.number().int() })
  .partial()
  .refine((rows) => Object.keys(rows).length > 0, 'needs gt, lt or eq');

/** A step's condition on one earlier step's result; every field given must hold. */
export const WhenSchema = z.strictObject({
  step: StepName,
  level: oneOrMore(z.enum(HEALTH_LEVELS)).optional(),
  choice: oneOrMore(z.string().min(1)).optional(),
  exit_code: oneOrMore(z.number().int()).optional(),
  rows: Count.optional(),
});
export type When = z.infer<typeof WhenSchema>;

/** What a failed step does to the runbook: stop it, go on, or go to a later step by name. */
export const OnFailureSchema = z.union([z.enum(['stop', 'continue']), StepName]).default('stop');

const Template = z.string().min(1).max(500);

const With = z.record(ParamName, z.union([Template, z.number()])).default({});

const SlackTarget = z
  .string()
  .regex(/^[SUW][A-Z0-9]{2,}$/, 'must be a Slack user-group ID such as S0DBA or a user ID such as U0ALICE');

const common = {
  name: StepName,
  when: WhenSchema.optional(),
  on_failure: OnFailureSchema,
};

const ActionStep = z.strictObject({ ...common, action: StepName, with: With });
const LookupStep = z.strictObject({ ...common, lookup: StepName, with: With });
const CheckStep = z.strictObject({ ...common, check: z.string().min(1) });
const WaitStep = z.strictObject({
  ...common,
  wait: z.union([
    z.strictObject({ for: Duration }),
    z.strictObject({
      until: z.string().min(1),
      timeout: Duration,
      every: Duration.refine((ms) => ms >= 1000, 'must be at least 1s').prefault('15s'),
    }),
  ]),
});
const AskStep = z.strictObject({
  ...common,
  ask: z
    .strictObject({
      text: Template,
      /** A choice among these; without choices or input, a yes/no confirmation (choice yes or no). */
      choices: z.array(z.string().min(1).max(75)).min(2).max(10).optional(),
      /** A value to type, checked against `pattern` when given. */
      input: z.strictObject({ label: z.string().min(1).max(48), pattern: RegexSource.optional() }).optional(),
      timeout: Duration.prefault('30m'),
    })
    .refine((ask) => !(ask.choices && ask.input), 'has choices and input; give one of them'),
});
const MessageStep = z.strictObject({ ...common, message: Template });
const DeclareStep = z.strictObject({
  ...common,
  declare: z.strictObject({ severity: z.string().min(1), title: Template }),
});
const EscalateStep = z.strictObject({
  ...common,
  escalate: z.strictObject({
    to: SlackTarget,
    text: Template.optional(),
  }),
});

/** The step types, by the key that names each; exactly one of them is in a step. */
export const STEP_TYPES = [
  'action',
  'lookup',
  'check',
  'wait',
  'ask',
  'message',
  'declare',
  'escalate',
] as const;
export type StepType = (typeof STEP_TYPES)[number];

const SCHEMAS = {
  action: ActionStep,
  lookup: LookupStep,
  check: CheckStep,
  wait: WaitStep,
  ask: AskStep,
  message: MessageStep,
  declare: DeclareStep,
  escalate: EscalateStep,
} as const;

/** One step: its type is the one type key it has; the errors name that type's fields. */
export const StepSchema = z.custom<unknown>().transform((raw, ctx) => {
  const types = typeof raw === 'object' && raw !== null ? STEP_TYPES.filter((type) => type in raw) : [];
  if (types.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message:
        types.length === 0
          ? `needs one of ${STEP_TYPES.join(', ')}: what the step does`
          : `has ${types.join(' and ')}; a step does one thing`,
    });
    return z.NEVER;
  }
  const type = types[0] as StepType;
  const parsed = SCHEMAS[type].safeParse(raw);
  if (!parsed.success) {
    // An unknown key stays one, so config check names it at its own path (`is not a known key`).
    for (const issue of parsed.error.issues)
      ctx.addIssue(issue.code === 'unrecognized_keys' ? { ...issue } : { ...issue, code: 'custom' });
    return z.NEVER;
  }
  return { type, ...parsed.data } as Step;
});

type Typed<T extends StepType> = { type: T } & z.infer<(typeof SCHEMAS)[T]>;
/** A parsed step, told apart by `type`. */
export type Step = { [T in StepType]: Typed<T> }[StepType];
export type StepOf<T extends StepType> = Typed<T>;

/** A runbook's steps: at least one, names unique. */
export const StepsSchema = z
  .array(StepSchema)
  .min(1)
  .max(30)
  .superRefine((steps, ctx) => {
    const seen = new Set<string>();
    steps.forEach((step, i) => {
      if (seen.has(step.name)) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'name'],
          message: `${step.name} is also the name of an earlier step; each step needs a name of its own`,
        });
      }
      seen.add(step.name);
    });
  });
