import { z } from 'zod';
import { hashTag, RedisUrlError, redisTarget } from '../queue/redis-target.js';
import { Duration } from './duration.js';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The environment opsbot reads (DESIGN §2); empty strings count as unset. */
const EnvSchema = z
  .object({
    SLACK_BOT_TOKEN: z.string().startsWith('xoxb-', 'must start with xoxb-').optional(),
    SLACK_SIGNING_SECRET: z.string().min(1).optional(),
    SLACK_APP_TOKEN: z.string().startsWith('xapp-', 'must start with xapp-').optional(),
    SLACK_API_URL: z.url().default('https://slack.com/api/'),
    DATABASE_URL: z.string().min(1).default('postgres://postgres@127.0.0.1:5432/opsbot'),
    /** One server's URL, or a Redis Cluster's nodes: `redis://h1:7000,h2:7001,h3:7002` (src/queue/redis-target.ts). */
    REDIS_URL: z.string().min(1).default('redis://127.0.0.1:6379'),
    /** `1` makes REDIS_URL's one node a Redis Cluster's; unset, REDIS_URL listing several nodes says so. */
    REDIS_CLUSTER: z
      .enum(['1', 'true', '0', 'false'], 'must be 1 or 0')
      .transform((flag) => flag === '1' || flag === 'true')
      .optional(),
    OPSBOT_CONFIG: z.string().min(1).default('./ops.yml'),
    OPSBOT_QUEUE_PREFIX: z.string().min(1).default('{opsbot}'),
    /** How long a stopping worker lets its running actions finish (SIGTERM, SIGINT); in ms once parsed. */
    OPSBOT_SHUTDOWN_GRACE: Duration.prefault('30s'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    LOG_LEVEL: z.enum(LEVELS).default('info'),
    PAGERDUTY_TOKEN: z.string().min(1).optional(),
    PAGERDUTY_WEBHOOK_SECRET: z.string().min(1).optional(),
    PAGERDUTY_API_URL: z.url().default('https://api.pagerduty.com'),
    KUBECONFIG: z.string().optional(),
  })
  .superRefine((env, ctx) => {
    try {
      // On a cluster every key of opsbot must be in one hash slot: BullMQ's scripts touch several keys at once.
      if (
        redisTarget(env.REDIS_URL, env.REDIS_CLUSTER).cluster &&
        hashTag(env.OPSBOT_QUEUE_PREFIX) === undefined
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['OPSBOT_QUEUE_PREFIX'],
          message:
            "needs a hash tag such as {opsbot} on a Redis Cluster, so all of opsbot's keys share one hash slot",
        });
      }
    } catch (error) {
      if (!(error instanceof RedisUrlError)) throw error;
      ctx.addIssue({ code: 'custom', path: ['REDIS_URL'], message: error.message });
    }
    if (env.SLACK_BOT_TOKEN && !env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['SLACK_SIGNING_SECRET'],
        message: 'is required in HTTP mode (set it, or set SLACK_APP_TOKEN for Socket Mode)',
      });
    }
  });

/** The environment is unusable; the message lists every problem. */
export class EnvError extends Error {}

export type Env = Readonly<z.infer<typeof EnvSchema>>;

/** Parses the environment; throws one error that lists every problem. */
export function readEnv(source: NodeJS.ProcessEnv): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new EnvError(`Invalid environment:\n${lines.map((line) => `  - ${line}`).join('\n')}`);
  }
  return Object.freeze(parsed.data);
}
