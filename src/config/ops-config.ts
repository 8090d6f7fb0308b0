import { z } from 'zod';
import { AccessConfigSchema } from '../access/config.js';
import { ActionConfigSchema, kindOf } from '../actions/registry.js';
import { ROLES } from '../auth/roles.js';
import { HealthCheckSchema, healthCheckProblems } from '../health/checks/registry.js';
import { EscalationSchema, escalationSeverityProblems } from '../incidents/escalation-config.js';
import { checkLookup, LookupSchema } from '../lookups/lookup.js';
import {
  OnCallCacheSchema,
  OnCallRolesSchema,
  onCallRoleProblems,
} from '../pagerduty/oncall-roles-config.js';
import { StormConfigSchema } from '../pagerduty/storm-config.js';
import { ComposeSection } from './compose.js';
import { Duration } from './duration.js';
import type { ConfigProblem, ServiceShape } from './problems.js';
import { CronPattern, TimeZone } from './schedule-fields.js';
import { ChannelId, GroupId, UserId } from './slack-ids.js';

/** What users type after `/ops` (an action) or after `/ops show <service>` (a lookup): `retry`, `revoke-key`. */
const VerbName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be lower-case letters, digits, - and _, at most 32 characters');

/** A Kubernetes object name (RFC 1123 label): `api-gateway`, `bentham-prod`. */
const K8sName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a Kubernetes name such as api-gateway');

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
    .refine((levels) => Object.keys(levels).length > 0, 'needs at least one severity')
    .default({
      SEV1: { description: 'Complete outage' },
      SEV2: { description: 'Major degradation' },
      SEV3: { description: 'Minor degradation' },
      SEV4: { description: 'Low impact' },
    }),
  escalation: EscalationSchema,
});

const Database = z.strictObject({
  url: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
});

const Service = z.strictObject({
  environment: z.enum(['production', 'staging', 'development']),
  databases: z.record(Name, Database).default({}),
  health: z.array(HealthCheckSchema).default([]),
  kubernetes: z
    .strictObject({
      context: z.string().min(1),
      namespace: K8sName,
      /** The only deployments opsbot's k8s actions and `/ops pods` may touch. */
      deployments: z.array(K8sName).min(1),
    })
    .optional(),
  /** The service's Docker Compose project and the Docker Engine running it (docker.* actions, logs). */
  compose: ComposeSection.optional(),
  /** Who may read the service's logs with `/ops logs`. */
  logs: z.strictObject({ role: z.enum(ROLES).default('viewer') }).default({ role: 'viewer' }),
  /** Hosts (name or name:port) the service's HTTP actions may call; anything else is refused. */
  allowed_hosts: z
    .array(z.string().regex(/^[a-z0-9.-]+(:\d+)?$/i, 'must be a host name, optionally with :port'))
    .default([]),
  actions: z.record(VerbName, ActionConfigSchema).default({}),
  lookups: z.record(VerbName, LookupSchema).default({}),
});

/** The whole ops.yml (DESIGN §2); unknown keys are errors. */
export const OpsConfigSchema = z.strictObject({
  workspace: z.strictObject({
    ops_channel: ChannelId,
    timezone: TimeZone.default('UTC'),
    /** Action requests one user may make per minute. */
    requests_per_minute: z.number().int().min(1).max(1000).default(20),
    /** Read commands (status, show, pods, logs, history, oncall, digest now) one user may run per minute: a budget of their own. */
    reads_per_minute: z.number().int().min(1).max(1000).default(60),
    /** How often the background probe runs every health check (null: `off`); changes are posted to ops_channel. */
    health_probe_every: z
      .union(
        [
          z.literal('off').transform(() => null),
          Duration.refine((ms) => ms >= 10_000, 'must be at least 10s, or off'),
        ],
        { error: 'must be a duration such as 1m or 5m, or off' },
      )
      .prefault('1m'),
  }),
  roles: z.partialRecord(z.enum(ROLES), RoleGrant).default({}),
  channels: z.strictObject({ allow: z.array(ChannelId).default([]) }).default({ allow: [] }),
  incidents: Incidents.superRefine(escalationSeverityProblems).prefault({}),
  /** Digests: `schedule` (cron, in workspace.timezone) to `channel` (default ops_channel); `weekly` a summary of 7 days. */
  digest: z
    .strictObject({
      schedule: CronPattern,
      channel: ChannelId.optional(),
      weekly: z.strictObject({ schedule: CronPattern, channel: ChannelId.optional() }).optional(),
    })
    .optional(),
  pagerduty: z
    .strictObject({
      channel: ChannelId.optional(),
      services: z.record(z.string(), Name).default({}),
      /** When one PagerDuty service's triggers are rolled up into one card (src/pagerduty/storm-config.ts). */
      storm: StormConfigSchema.optional(),
      /** Who holds which role while on call for a service (src/pagerduty/oncall-roles.ts). */
      oncall_roles: OnCallRolesSchema.optional(),
      /** How long the on-call list behind oncall_roles is kept before PagerDuty is asked again (60s). */
      oncall_cache: OnCallCacheSchema.optional(),
    })
    .optional(),
  /** Just-in-time access: `/ops elevate`, its approvers and break-glass (src/access/config.ts). */
  access: AccessConfigSchema.optional(),
  services: z.record(Name, Service).default({}),
});

export type OpsConfig = z.infer<typeof OpsConfigSchema>;
export type ServiceConfig = OpsConfig['services'][string];

/**
 * Checks that span parts of the file (an action's database must be one of its service's, a check's
 * database too). Runs on the raw file, so it reports even when other parts are invalid.
 */
export function crossCheck(raw: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [serviceName, service] of entries(entries(raw).find(([key]) => key === 'services')?.[1])) {
    const fields = Object.fromEntries(entries(service));
    const shape = {
      databases: entries(fields.databases).map(([name]) => name),
      allowedHosts: Array.isArray(fields.allowed_hosts) ? fields.allowed_hosts.map(String) : [],
      deployments: deploymentsOf(fields.kubernetes),
      compose: composeOf(fields.compose),
      actions: Object.fromEntries(
        entries(fields.actions).map(([name, action]) => [
          name,
          String(Object.fromEntries(entries(action)).kind),
        ]),
      ),
      lookups: entries(fields.lookups).map(([name]) => name),
      checks: Array.isArray(fields.health)
        ? fields.health.map((check) => String(Object.fromEntries(entries(check)).name))
        : [],
    };
    for (const [actionName, rawAction] of entries(fields.actions)) {
      const path = ['services', serviceName, 'actions', actionName];
      const action = ActionConfigSchema.safeParse(rawAction);
      if (!action.success) continue;
      for (const problem of kindOf(action.data).check(action.data, shape)) {
        problems.push({ path: [...path, ...problem.path], message: problem.message });
      }
    }
    if (Array.isArray(fields.health)) {
      fields.health.forEach((rawCheck, i) => {
        for (const problem of healthCheckProblems(rawCheck, shape)) {
          problems.push({
            path: ['services', serviceName, 'health', i, ...problem.path],
            message: problem.message,
          });
        }
      });
    }
    for (const [lookupName, rawLookup] of entries(fields.lookups)) {
      const lookup = LookupSchema.safeParse(rawLookup);
      if (!lookup.success) continue;
      for (const problem of checkLookup(lookup.data, shape)) {
        problems.push({
          path: ['services', serviceName, 'lookups', lookupName, ...problem.path],
          message: problem.message,
        });
      }
    }
  }
  problems.push(...pagerDutyProblems(raw));
  problems.push(...onCallRoleProblems(raw));
  return problems;
}

/** pagerduty.services must name services of this file: their actions and roles are what the alert cards use. */
function pagerDutyProblems(raw: unknown): ConfigProblem[] {
  const top = Object.fromEntries(entries(raw));
  const services = entries(top.services).map(([name]) => name);
  return entries(Object.fromEntries(entries(top.pagerduty)).services)
    .filter(([, target]) => typeof target === 'string' && !services.includes(target))
    .map(([id, target]) => ({
      path: ['pagerduty', 'services', id],
      message: `names ${String(target)}, which is not a service here (services: ${services.join(', ') || 'none'})`,
    }));
}

/** A raw compose section's services (undefined: any service of the project); undefined when there is none. */
function composeOf(compose: unknown): ServiceShape['compose'] {
  if (compose === undefined) return undefined;
  const listed = Object.fromEntries(entries(compose)).services;
  return { services: Array.isArray(listed) ? listed.map(String) : undefined };
}

/** The deployments a raw kubernetes section lists; undefined when there is no such section. */
function deploymentsOf(kubernetes: unknown): string[] | undefined {
  if (kubernetes === undefined) return undefined;
  const listed = Object.fromEntries(entries(kubernetes)).deployments;
  return Array.isArray(listed) ? listed.map(String) : [];
}

function entries(value: unknown): [string, unknown][] {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [];
}
