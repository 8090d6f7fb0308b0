import { z } from 'zod';
import { ParamName } from '../actions/params.js';
import { ActionConfigSchema, kindOf } from '../actions/registry.js';
import { ROLES } from '../actions/types.js';
import { BUILTIN_VERBS } from '../commands/verbs.js';
import { Duration } from './duration.js';

const UserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user ID such as U0ALICE');
const GroupId = z.string().regex(/^S[A-Z0-9]{2,}$/, 'must be a Slack user-group ID such as S0SRE');
const ChannelId = z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'must be a Slack channel ID such as C0OPS');
const Name = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be lower-case letters, digits and dashes');

const RoleGrant = z.strictObject({
  users: z.array(UserId).default([]),
  groups: z.array(GroupId).default([]),
  everyone: z.boolean().default(false),
});

const Severity = z.strictObject({
  description: z.string().min(1),
  status_update_every: Duration.optional(),
});

const Incidents = z.strictObject({
  channel_prefix: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,19}$/)
    .default('inc'),
  status_update_every: Duration.prefault('30m'),
  severities: z
    .record(z.string().regex(/^[A-Z][A-Z0-9]{0,9}$/, 'must be upper-case such as SEV1'), Severity)
    .default({}),
  escalation: z.array(z.strictObject({ after: Duration, to: GroupId.or(UserId) })).default([]),
});

const HealthCheck = z.strictObject({
  name: Name,
  url: z.url(),
  expect: z
    .strictObject({
      status: z.number().int().min(100).max(599).default(200),
      json: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});

const Database = z.strictObject({
  url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
});

const Service = z.strictObject({
  environment: z.enum(['production', 'staging', 'development']),
  databases: z.record(Name, Database).default({}),
  health: z.array(HealthCheck).default([]),
  kubernetes: z
    .strictObject({
      context: z.string().min(1),
      namespace: z.string().min(1),
      deployments: z.array(z.string()),
    })
    .optional(),
  actions: z.record(ParamName, ActionConfigSchema).default({}),
});

/** The whole ops.yml (DESIGN §2); unknown keys are errors. */
export const OpsConfigSchema = z
  .strictObject({
    workspace: z.strictObject({ ops_channel: ChannelId, timezone: z.string().default('UTC') }),
    roles: z.partialRecord(z.enum(ROLES), RoleGrant).default({}),
    channels: z.strictObject({ allow: z.array(ChannelId).default([]) }).default({ allow: [] }),
    incidents: Incidents.optional(),
    digest: z.strictObject({ schedule: z.string().min(1), channel: ChannelId.optional() }).optional(),
    pagerduty: z
      .strictObject({ channel: ChannelId.optional(), services: z.record(z.string(), Name).default({}) })
      .optional(),
    services: z.record(Name, Service).default({}),
  })
  .superRefine((config, ctx) => {
    for (const [serviceName, service] of Object.entries(config.services)) {
      const shape = { databases: Object.keys(service.databases) };
      for (const [actionName, action] of Object.entries(service.actions)) {
        if ((BUILTIN_VERBS as readonly string[]).includes(actionName)) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', serviceName, 'actions', actionName],
            message: `is a built-in /ops verb; give the action another name`,
          });
        }
        for (const problem of kindOf(action).check(action, shape)) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', serviceName, 'actions', actionName, ...problem.path],
            message: problem.message,
          });
        }
      }
    }
  });

export type OpsConfig = z.infer<typeof OpsConfigSchema>;
export type ServiceConfig = OpsConfig['services'][string];
