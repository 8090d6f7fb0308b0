import { z } from 'zod';
import { Duration } from '../config/duration.js';
import { applySwitch, checkSwitch, describeSwitch, SwitchSchema } from './degraded-switch.js';
import { ParamsSchema, type ParamValues } from './params.js';
import { type ActionContext, type ActionKind, baseActionFields, fixedParams } from './types.js';

/** A model slug as the services name them: `llama3.2`, `qwen2.5-coder:1.5b`. */
const SLUG = /^[a-z0-9][a-z0-9._:/-]{0,63}$/i;
/** The service_state key degraded mode is recorded under. */
const DEGRADED_STATE_KEY = 'degraded-mode';

/** The params every degraded-mode action takes: `/ops degraded <service> on <slug,slug>` or `off`. */
const DEGRADED_PARAMS = ParamsSchema.parse({
  state: { type: 'string', enum: ['on', 'off'], description: 'on or off' },
  models: {
    type: 'string',
    optional: true,
    max_length: 1000,
    description: 'Allowed model slugs, comma-separated, e.g. llama3.2,qwen2.5-coder:1.5b',
  },
});

/** An ops.yml entry of kind `degraded-mode`; its params are fixed (state, models), not configured. */
export const DegradedModeSchema = z.strictObject({
  kind: z.literal('degraded-mode'),
  ...baseActionFields,
  params: fixedParams('degraded-mode', DEGRADED_PARAMS),
  /** When set, only these slugs may be allowed while degraded. */
  allowed_models: z.array(z.string().regex(SLUG, 'must be a model slug such as llama3.2')).min(1).optional(),
  /**
   * How the service compares a requested model with the allow-list: `exact`, or `substring` (BenchCode: a
   * model is served when its slug contains an allowed one, so `llama3.2` lets `llama3.2-vision:90b` through).
   */
  match: z.enum(['exact', 'substring']).default('exact'),
  /** With `match: substring`: the models the service serves, so the plan names what else each slug lets through. */
  known_models: z.array(z.string().regex(SLUG, 'must be a model slug such as llama3.2')).min(1).optional(),
  /** Degraded mode ends by itself this long after it was turned on (opsbot turns it off). */
  expire_after: Duration.optional(),
  /** A reminder goes to the thread of the run that turned it on this long before it ends. */
  remind_before: Duration.optional(),
  apply: SwitchSchema,
  timeout: Duration.prefault('30s'),
});

export type DegradedModeAction = z.infer<typeof DegradedModeSchema>;

/** The recorded state: whether degraded mode is on, which models it allows, and since when. */
const DegradedState = z.object({ on: z.literal(true), models: z.array(z.string()) });

/** Degraded mode: only a cheap allow-list of models is served; requests for others get a deterministic error. */
export const degradedModeKind: ActionKind<DegradedModeAction> = {
  kind: 'degraded-mode',
  configSchema: DegradedModeSchema,
  help: {
    line: 'Switches the service to serve only an allow-list of models (by SQL or its admin API) and back; /ops status shows it while on.',
    example: [
      'degraded:  # /ops degraded <service> on llama3.2,qwen2.5-coder:1.5b (or off)',
      '  kind: degraded-mode',
      '  summary: Serve only cheap models',
      '  allowed_models: [llama3.2, "qwen2.5-coder:1.5b"]',
      '  expire_after: 4h',
      '  apply:',
      '    database: main',
      '    on: UPDATE settings SET allowed_models = :models',
      '    off: UPDATE settings SET allowed_models = NULL',
    ].join('\n'),
  },
  idempotent: () => true,
  // On and off switch one setting of the service: they must never overlap.
  target: () => DEGRADED_STATE_KEY,
  serviceState: { key: DEGRADED_STATE_KEY, describe: describeDegradedState },
  expiryParams: () => ({ state: 'off' }),
  remindBefore: (config) => config.remind_before,

  constraints(config, params) {
    const models = slugsOf(params);
    if (params.state === 'off') {
      return models.length > 0 ? 'Turning degraded mode off takes no models; drop them.' : undefined;
    }
    if (models.length === 0)
      return 'Name the models to allow while degraded, e.g. `llama3.2,qwen2.5-coder:1.5b`.';
    const bad = models.find((slug) => !SLUG.test(slug));
    if (bad !== undefined)
      return `\`${bad.slice(0, 80)}\` is not a model slug (letters, digits and . _ : / - only).`;
    const { allowed_models: allowed } = config;
    const outside = allowed ? models.filter((slug) => !allowed.includes(slug)) : [];
    if (outside.length > 0) {
      return `Degraded mode may only allow ${allowed?.join(', ')}; not ${outside.join(', ')}.`;
    }
    return undefined;
  },

  check(config, service) {
    const problems = checkSwitch(config.apply, service).map((problem) => ({
      ...problem,
      path: ['apply', ...problem.path],
    }));
    if (config.known_models && config.match !== 'substring') {
      problems.push({ path: ['known_models'], message: 'is only used with match: substring; remove it' });
    }
    return problems;
  },

  async plan(config, ctx) {
    const current = await currentState(ctx);
    const now = current
      ? `Degraded mode is on since ${current.since} (allowing ${current.models.join(', ')})`
      : 'Degraded mode is off';
    const next =
      ctx.params.state === 'on'
        ? `it will allow only ${allowedText(config, slugsOf(ctx.params))}${config.expire_after ? `, due to end in ${formatDuration(config.expire_after)}` : ''}`
        : 'it will serve every model again';
    const reach = ctx.params.state === 'on' ? substringReach(config, slugsOf(ctx.params)) : '';
    const request = describeSwitch(config.apply, ctx.params.state === 'on', slugsOf(ctx.params));
    return { summary: [`${now}; ${next}.`, reach, request].filter(Boolean).join(' ') };
  },

  async execute(config, ctx) {
    const on = ctx.params.state === 'on';
    const models = slugsOf(ctx.params);
    await applySwitch(config.apply, on, models, ctx, config.timeout);
    if (on) {
      const expiresAt = config.expire_after ? new Date(Date.now() + config.expire_after) : undefined;
      await ctx.state.set(DEGRADED_STATE_KEY, { on: true, models }, expiresAt ? { expiresAt } : {});
      return { summary: `Degraded mode is on: only ${allowedText(config, models)} will be served.` };
    }
    await ctx.state.clear(DEGRADED_STATE_KEY);
    return { summary: 'Degraded mode is off: every model is served again.' };
  },
};

/**
 * What a substring allow-list lets through besides the slugs themselves, for the plan: of `known_models` when
 * configured, or said in general; nothing for exact matching.
 */
export function substringReach(
  config: Pick<DegradedModeAction, 'match' | 'known_models'>,
  slugs: string[],
): string {
  if (config.match !== 'substring') return '';
  const rule = 'The service matches the allow-list as substrings';
  const known = config.known_models;
  if (!known) {
    const each = slugs.map(
      (slug) => `\`${slug}\` lets through every model whose slug contains it, not only itself`,
    );
    return `${rule}: ${each.join('; ')}.`;
  }
  const each = slugs.map((slug) => {
    const more = known.filter((model) => model !== slug && model.includes(slug));
    return more.length > 0
      ? `\`${slug}\` also lets through ${more.map((model) => `\`${model}\``).join(', ')}`
      : `\`${slug}\` lets through no other known model`;
  });
  return `${rule}: ${each.join('; ')}.`;
}

/** The allowed models as the service applies them: the slugs, or every model containing one of them. */
function allowedText(config: Pick<DegradedModeAction, 'match'>, slugs: string[]): string {
  return config.match === 'substring' ? `models whose slug contains ${slugs.join(' or ')}` : slugs.join(', ');
}

function slugsOf(params: ParamValues): string[] {
  return String(params.models ?? '')
    .split(',')
    .map((slug) => slug.trim())
    .filter(Boolean);
}

/** One line about recorded degraded mode, for `/ops status`; undefined for anything else. */
function describeDegradedState(value: unknown): string | undefined {
  const parsed = DegradedState.safeParse(value);
  return parsed.success ? `Degraded mode: only ${parsed.data.models.join(', ')} served` : undefined;
}

async function currentState(ctx: ActionContext): Promise<{ models: string[]; since: string } | undefined> {
  const entry = await ctx.state.get(DEGRADED_STATE_KEY);
  const parsed = DegradedState.safeParse(entry?.value);
  if (!entry || !parsed.success) return undefined;
  return { models: parsed.data.models, since: entry.updatedAt.toISOString().slice(0, 16).replace('T', ' ') };
}

function formatDuration(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : `${Math.round(ms / 60_000)} min`;
}
