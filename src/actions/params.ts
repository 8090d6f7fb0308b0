import { z } from 'zod';

/** A param's name: what users type before `=` and the modal's block id. */
export const ParamName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,31}$/, 'must be lower_snake_case, at most 32 characters');

/** A regular expression's source, refused in ops.yml when it is none. */
export const RegexSource = z.string().refine((source) => {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}, 'is not a valid regular expression');

const common = {
  label: z.string().min(1).max(48).optional(),
  description: z.string().max(150).optional(),
  optional: z.boolean().default(false),
};

const StringParam = z.strictObject({
  type: z.literal('string'),
  pattern: RegexSource.optional(),
  enum: z.array(z.string().min(1)).min(1).optional(),
  max_length: z.number().int().min(1).max(3000).default(200),
  ...common,
});

const IntegerParam = z.strictObject({
  type: z.literal('integer'),
  min: z.number().int().optional(),
  max: z.number().int().optional(),
  ...common,
});

/** One declared param of an action, as written in ops.yml. */
export const ParamSpecSchema = z.discriminatedUnion('type', [StringParam, IntegerParam]);
export type ParamSpec = z.infer<typeof ParamSpecSchema>;

/** An action's params, in declared order (positional args fill them in this order). */
export const ParamsSchema = z.record(ParamName, ParamSpecSchema).default({});
export type ParamSpecs = z.infer<typeof ParamsSchema>;

export type ParamValue = string | number;
export type ParamValues = Record<string, ParamValue>;

export type ParamCheck = { ok: true; values: ParamValues } | { ok: false; errors: Record<string, string> };

/** The zod schema for one param's raw text, with messages fit for a modal field. */
function valueSchema(spec: ParamSpec): z.ZodType<ParamValue | undefined> {
  if (spec.type === 'integer') {
    let number = z.number({ error: 'Must be a whole number.' }).int('Must be a whole number.');
    if (spec.min !== undefined) number = number.min(spec.min, `Must be at least ${spec.min}.`);
    if (spec.max !== undefined) number = number.max(spec.max, `Must be at most ${spec.max}.`);
    const parsed = z
      .string()
      .regex(/^-?\d+$/, 'Must be a whole number.')
      .transform(Number)
      .pipe(number);
    return spec.optional ? parsed.optional() : parsed;
  }
  let text = z.string().max(spec.max_length, `Must be at most ${spec.max_length} characters.`);
  if (spec.pattern) text = text.regex(new RegExp(spec.pattern), `Must match ${spec.pattern}.`);
  const { enum: choices } = spec;
  const checked = choices
    ? text.refine((value) => choices.includes(value), `Must be one of ${choices.join(', ')}.`)
    : text;
  return spec.optional ? checked.optional() : checked;
}

/** Validates raw text values against the declared params; every field's error at once. */
export function checkParams(specs: ParamSpecs, raw: Record<string, string | undefined>): ParamCheck {
  const values: ParamValues = {};
  const errors: Record<string, string> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const text = raw[name]?.trim();
    if (text === undefined || text === '') {
      if (!spec.optional) errors[name] = 'Required.';
      continue;
    }
    const parsed = valueSchema(spec).safeParse(text);
    if (!parsed.success) errors[name] = parsed.error.issues[0]?.message ?? 'Invalid value.';
    else if (parsed.data !== undefined) values[name] = parsed.data;
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, values };
}

/** `<study> [limit]`: how the params are typed after the service name. */
export function paramsUsage(specs: ParamSpecs): string {
  return Object.entries(specs)
    .map(([name, spec]) => (spec.optional ? `[${name}]` : `<${name}>`))
    .join(' ');
}
