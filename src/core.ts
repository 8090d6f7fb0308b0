import type { Pool } from 'pg';
import type { AccessService } from './auth/access.js';
import { createAccess } from './auth/create-access.js';
import type { Env } from './config/env.js';
import type { OpsConfig } from './config/ops-config.js';
import type { CoreSlack, CoreStores, CoreTargets } from './core-parts.js';
import { type CoreServices, createServices } from './core-services.js';
import { migrate } from './db/migrate.js';
import { createPool, probePostgres } from './db/pool.js';
import { dependency } from './dependency.js';
import { UnavailableError } from './errors.js';
import { knownSecrets, Redactor } from './exec/redactor.js';
import { HealthStore } from './health/health-store.js';
import { PostgresCounterWindows } from './health/postgres-counter-windows.js';
import { PostgresSustainedLevels } from './health/sustained-postgres.js';
import { Metrics } from './http/metrics.js';
import { dependencyChecks } from './http/readiness-checks.js';
import { operationalRoutes, type Route } from './http/routes.js';
import { withIncidentTimeline } from './incidents/run-timeline.js';
import { IncidentStore } from './incidents/store.js';
import { type Logger, redactUrl } from './log.js';
import { createOutages, isRedisUnreachable, type Outages } from './outages.js';
import type { PagerDutyQueue } from './pagerduty/events-queue.js';
import { onCallDirectory } from './pagerduty/oncall-directory.js';
import { SWEEP_DEFAULTS, type SweepTuning } from './pagerduty/sweeper.js';
import { WebhookStore } from './pagerduty/webhook-store.js';
import { queueStats } from './queue/queue-stats.js';
import {
  ACTIONS_QUEUE,
  addJob,
  createQueue,
  INCIDENT_SLOTS_QUEUE,
  PAGERDUTY_QUEUE,
  RUNBOOKS_QUEUE,
  type TypedQueue,
} from './queue/queues.js';
import { createRedis, type RedisConnection, servesOpsbotKeys } from './queue/redis.js';
import { describeRedis, redisTarget } from './queue/redis-target.js';
import { RunStore } from './runs/store.js';
import { slackAlertCards } from './slack/adapters/alert-cards.js';
import { slackIncidents } from './slack/adapters/incident-slack.js';
import { slackRunCards } from './slack/adapters/run-cards.js';
import type { DispatchTuning } from './slack/transport/outbox/dispatcher.js';
import { SlackOutbox } from './slack/transport/outbox/outbox.js';
import { OutboxSignals } from './slack/transport/outbox/signals.js';
import { OutboxStore } from './slack/transport/outbox/store.js';
import { slackFileStreamer } from './slack/transport/upload-file.js';
import { slackUserEmail } from './slack/transport/user-email.js';
import { slackGroupMembers } from './slack/transport/user-groups.js';
import { createWebClient } from './slack/transport/web-client.js';
import type { StartOptions } from './start-options.js';
import { TargetDatabases } from './targets/databases.js';
import { DockerTargets } from './targets/docker.js';
import { KubernetesTargets } from './targets/kubernetes.js';

/** Everything opsbot is made of, built once at start-up; the web and worker roles start from it. */
export interface Core {
  readonly env: Env;
  readonly config: OpsConfig;
  readonly log: Logger;
  readonly options: StartOptions;
  readonly pool: Pool;
  /** The producer connection: queues, rate limits, the readiness probe. */
  readonly redis: RedisConnection;
  /** PostgreSQL's and Redis's outages as this process meets them, each logged once. */
  readonly outages: Outages;
  readonly queues: {
    readonly actions: TypedQueue<typeof ACTIONS_QUEUE>;
    readonly pagerDuty: PagerDutyQueue;
    readonly runbooks: TypedQueue<typeof RUNBOOKS_QUEUE>;
    readonly incidentSlots: TypedQueue<typeof INCIDENT_SLOTS_QUEUE>;
  };
  readonly access: AccessService;
  readonly stores: CoreStores;
  readonly slack: CoreSlack;
  readonly targets: CoreTargets;
  readonly services: CoreServices;
  readonly metrics: Metrics;
  /** The operational routes (/healthz, /readyz, /metrics), served beside Slack's or alone. */
  readonly routes: Route[];
  readonly tuning: { readonly dispatch: Partial<DispatchTuning>; readonly pagerDutySweep: SweepTuning };
  /** Adds a run's job; the job id is the run id, so adding twice is harmless. */
  enqueue(runId: string): Promise<void>;
  /** Closes what buildCore opened, once the roles started from it have stopped. */
  close(): Promise<void>;
}

/**
 * Builds the core every role shares (DESIGN §9): migrates PostgreSQL, waits for Redis, starts the outbox's
 * signals, and wires the stores, Slack ports and services once.
 */
export async function buildCore(
  env: Env,
  config: OpsConfig,
  log: Logger,
  options: StartOptions,
): Promise<Core> {
  // The probes run only after a failure, when redis exists; PostgreSQL's uses a connection of its own.
  const outages = createOutages(log, {
    postgres: () => probePostgres(env.DATABASE_URL),
    redis: () => servesOpsbotKeys(redis, env.OPSBOT_QUEUE_PREFIX),
  });
  const pool = createPool(env.DATABASE_URL, log, 10, outages);
  const applied = await dependency(`PostgreSQL at ${redactUrl(env.DATABASE_URL)}`, migrate(pool));
  if (applied.length > 0) log.info({ applied }, 'migrations applied');

  const redis = createRedis(env, 'producer', log, outages);
  const on = { connection: redis, prefix: env.OPSBOT_QUEUE_PREFIX, log };
  const queues = {
    actions: createQueue(ACTIONS_QUEUE, on),
    pagerDuty: createQueue(PAGERDUTY_QUEUE, on),
    runbooks: createQueue(RUNBOOKS_QUEUE, on),
    incidentSlots: createQueue(INCIDENT_SLOTS_QUEUE, on),
  };
  await dependency(
    describeRedis(redisTarget(env.REDIS_URL, env.REDIS_CLUSTER)),
    queues.actions.waitUntilReady(),
  );
  const client = createWebClient(env, log);
  const outboxStore = new OutboxStore(pool);
  const outboxSignals = new OutboxSignals(env.DATABASE_URL, log);
  await outboxSignals.start();
  const { deliverTimeoutMs, ...dispatch } = options.slackOutbox ?? {};
  const outbox = new SlackOutbox({ store: outboxStore, signals: outboxSignals, deliverTimeoutMs });
  const stores = {
    runs: new RunStore(pool),
    incidents: new IncidentStore(pool),
    webhookEvents: new WebhookStore(pool),
  };
  const targets = {
    databases: new TargetDatabases(config.services, log),
    windows: new PostgresCounterWindows(pool),
    levels: new PostgresSustainedLevels(pool),
    kubernetes: new KubernetesTargets(config.services, env.KUBECONFIG),
    docker: new DockerTargets(config.services),
    redactor: new Redactor(knownSecrets(process.env, { env, config })),
  };
  const enqueue = (runId: string) =>
    addJob(queues.actions, 'run', { runId }, { jobId: runId }).catch((error: unknown) => {
      if (!isRedisUnreachable(error)) throw error;
      // The run is queued in PostgreSQL: the run sweeper adds its job once Redis answers again.
      outages.redis.failed(error);
      // The cause says it is Redis's outage, so a sweep meeting it does not log it again.
      throw Object.assign(new UnavailableError(NOT_QUEUED), { cause: error });
    });
  const { authorizer, access } = createAccess({
    config,
    pool,
    store: stores.runs,
    redis,
    queuePrefix: env.OPSBOT_QUEUE_PREFIX,
    listGroupMembers: slackGroupMembers(client),
    log,
    groupCacheTtlMs: options.groupCacheTtlMs,
    isIncidentChannel: (channel) => stores.incidents.isOpenChannel(channel),
    onCall: onCallDirectory(env, slackUserEmail(client), options.pagerDutyRateLimitWaitMs),
  });
  const slack: CoreSlack = {
    client,
    outbox,
    outboxStore,
    outboxSignals,
    runCards: withIncidentTimeline(slackRunCards(outbox, slackFileStreamer(client)), stores.incidents, log),
    incidents: slackIncidents(client, outbox),
    alertCards: slackAlertCards(outbox, outboxStore),
  };
  const services = createServices({
    env,
    config,
    log,
    options,
    pool,
    access,
    authorizer,
    stores,
    slack,
    targets,
    enqueue,
    runbooksQueue: queues.runbooks,
    incidentSlotsQueue: queues.incidentSlots,
  });
  const pagerDutySweep = { ...SWEEP_DEFAULTS, ...options.pagerDutySweep };
  const healthStore = new HealthStore(pool);
  const metrics = new Metrics({
    runs: () => stores.runs.countByStateAndKind(),
    queues: () => queueStats(Object.values(queues)),
    slackOutbox: () => outboxStore.backlog(),
    pagerDutyOverdue: () => stores.webhookEvents.overdue(pagerDutySweep.staleAfterMs),
    serviceHealth: async () =>
      (await healthStore.levels()).filter(({ service }) => Object.hasOwn(config.services, service)),
  });
  const routes = operationalRoutes(metrics, {
    ...dependencyChecks(env.DATABASE_URL, redis, env.OPSBOT_QUEUE_PREFIX),
    slack: cachedCheck(async () => {
      await client.auth.test();
    }, 30_000),
  });
  return {
    env,
    config,
    log,
    options,
    pool,
    redis,
    outages,
    queues,
    access,
    stores,
    slack,
    targets,
    services,
    metrics,
    routes,
    tuning: { dispatch, pagerDutySweep },
    enqueue,
    close: async () => {
      await outboxSignals.stop();
      await queues.actions.close();
      await queues.pagerDuty.close();
      await queues.runbooks.close();
      await queues.incidentSlots.close();
      redis.disconnect();
      await targets.databases.close();
      await pool.end();
    },
  };
}

/** What someone whose run could not be queued is told: it is not lost. */
export const NOT_QUEUED =
  'opsbot cannot reach its queue (Redis) right now, so this run has not started yet; it is saved and starts by ' +
  'itself as soon as Redis is back.';

/** Remembers a passing check for `ttlMs`, so probes do not call Slack on every scrape. */
function cachedCheck(check: () => Promise<void>, ttlMs: number): () => Promise<void> {
  let passedAt = 0;
  return async () => {
    if (Date.now() - passedAt < ttlMs) return;
    await check();
    passedAt = Date.now();
  };
}
