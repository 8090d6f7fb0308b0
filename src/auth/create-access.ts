import type { Pool } from 'pg';
import { grantRoles } from '../access/grant-roles.js';
import { AccessGrantStore } from '../access/store.js';
import { recentAudit } from '../audit/recent.js';
import { auditText } from '../audit/render.js';
import type { OpsConfig } from '../config/ops-config.js';
import type { Logger } from '../log.js';
import { type OnCallDirectory, OnCallRoles } from '../pagerduty/oncall-roles.js';
import { ONCALL_CACHE_MS } from '../pagerduty/oncall-roles-config.js';
import type { RedisConnection } from '../queue/redis.js';
import type { RunStore } from '../runs/store.js';
import { AccessService } from './access.js';
import { Authorizer } from './authorizer.js';
import { GrantStore } from './grants.js';
import { GroupMembers, type ListGroupMembers } from './group-members.js';
import { ReadLimit, RequestLimiter } from './rate-limit.js';
import { RoleResolver } from './role-resolver.js';

export interface AccessParts {
  authorizer: Authorizer;
  access: AccessService;
}

/** Wires roles (ops.yml, Slack user groups, grants, just-in-time grants, on-call shifts), the policy, audit reads and the request and read limits. */
export function createAccess(deps: {
  config: OpsConfig;
  pool: Pool;
  store: RunStore;
  redis: RedisConnection;
  queuePrefix: string;
  listGroupMembers: ListGroupMembers;
  log: Logger;
  groupCacheTtlMs?: number | undefined;
  isIncidentChannel?(channel: string): Promise<boolean>;
  /** Who is on call in PagerDuty, for pagerduty.oncall_roles; absent when PagerDuty is not set up. */
  onCall?: OnCallDirectory | undefined;
}): AccessParts {
  const grants = new GrantStore(deps.pool);
  const groups = new GroupMembers(deps.listGroupMembers, deps.log, deps.groupCacheTtlMs);
  // Roles held for a time: just-in-time grants, and on-call shifts when PagerDuty is set up.
  const { config } = deps;
  const sources = [grantRoles(new AccessGrantStore(deps.pool), config.workspace.timezone)];
  if (deps.onCall && config.pagerduty) {
    const ttlMs = config.pagerduty.oncall_cache ?? ONCALL_CACHE_MS;
    sources.push(new OnCallRoles(config, deps.onCall, deps.log, ttlMs));
  } else if (Object.keys(config.pagerduty?.oncall_roles ?? {}).length > 0) {
    deps.log.warn('pagerduty.oncall_roles gives nobody a role: PAGERDUTY_TOKEN is not set');
  }
  const resolver = new RoleResolver(config.roles, groups, grants, sources);
  const rolesOf = (userId: string) => resolver.rolesOf(userId);
  const auditDenial = (entry: Parameters<RunStore['auditDenial']>[0]) => deps.store.auditDenial(entry);
  const limiter = new RequestLimiter(deps.redis, deps.queuePrefix, deps.config.workspace.requests_per_minute);
  const takeRequest = (userId: string) => limiter.take(userId);
  const { reads_per_minute: readsPerMinute } = deps.config.workspace;
  const reads = new ReadLimit(
    new RequestLimiter(deps.redis, deps.queuePrefix, readsPerMinute, 'reads'),
    readsPerMinute,
  );
  const authorizer = new Authorizer({
    config: deps.config,
    rolesOf,
    takeRequest,
    auditDenial,
    ...(deps.isIncidentChannel ? { isIncidentChannel: deps.isIncidentChannel } : {}),
  });
  const access = new AccessService({
    config: deps.config,
    authorizer,
    grants,
    rolesOf,
    inGroup: async (groupId, userId) => (await groups.members(groupId)).has(userId),
    auditTail: async (count) => auditText(await recentAudit(deps.pool, count)),
    requireRead: (userId) => reads.require(userId),
  });
  return { authorizer, access };
}
