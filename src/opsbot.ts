import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAccess } from './auth/create-access.js';
import type { Env } from './config/env.js';
import type { OpsConfig } from './config/ops-config.js';
import { own } from './config/own.js';
import { migrate } from './db/migrate.js';
import { createPool } from './db/pool.js';
import { describeError } from './describe-error.js';
import { UnavailableError } from './errors.js';
import { InFlight } from './handlers/handle.js';
import { checkService } from './health/check-service.js';
import { PostgresCounterWindows } from './health/postgres-counter-windows.js';
import { Metrics } from './http/metrics.js';
import { operationalRoutes, serveRoutes } from './http/routes.js';
import { withIncidentTimeline } from './incidents/run-timeline.js';
import { IncidentService } from './incidents/service.js';
import { IncidentStore } from './incidents/store.js';
import { type Logger, redactUrl } from './log.js';
import { SWEEP_DEFAULTS, type SweepTuning } from './pagerduty/sweeper.js';
import { WebhookStore } from './pagerduty/webhook-store.js';
import { ACTIONS_QUEUE, addJob, createQueue } from './queue/queues.js';
import { createRedis } from './queue/redis.js';
import { RunExecutor } from './runs/executor.js';
import { RunService } from './runs/service.js';
import { RunStore } from './runs/store.js';
import { slackAlertCards } from './slack/adapters/alert-cards.js';
import { SlackDigestService } from './slack/adapters/digest-slack.js';
import { slackIncidents } from './slack/adapters/incident-slack.js';
import { slackRunCards } from './slack/adapters/run-cards.js';
import type { DispatchTuning } from './slack/transport/outbox/dispatcher.js';
import { SlackOutbox } from './slack/transport/outbox/outbox.js';
import { OutboxSignals } from './slack/transport/outbox/signals.js';
import { OutboxStore } from './slack/transport/outbox/store.js';
import { slackGroupMembers } from './slack/transport/user-groups.js';
import { createWebClient } from './slack/transport/web-client.js';
import { startWeb } from './start-web.js';
import { startWorker } from './start-worker.js';
import { TargetDatabases } from './targets/databases.js';
import { KubernetesTargets } from './targets/kubernetes.js';

export type ProcessRole = 'all' | 'web' | 'worker';

export interface StartOptions {
  role: ProcessRole;
  /** Overrides for tests and tuning; production uses the defaults. */
  planTtlMs?: number;
  sweepEveryMs?: number;
  /** How often due status updates, nudges and escalations are looked for (default 15 s). */
  incidentTickMs?: number;
  /** Runs the background health probe at this interval, whatever ops.yml says. */
  probeEveryMs?: number;
  /** How long Slack user-group membership is cached (default 5 minutes). */
  groupCacheTtlMs?: number;
  /** The Slack outbox's pacing, leases and backoff, and how long a caller waits for its message (15 s). */
  slackOutbox?: Partial<DispatchTuning> & { deliverTimeoutMs?: number };
  /** When PagerDuty events left unhandled are looked for, revived and given up on (see SWEEP_DEFAULTS). */
  pagerDutySweep?: Partial<SweepTuning>;
}

/** A running opsbot process. */
export interface Opsbot {
  port: number;
  runs: RunService;
  executor: RunExecutor;
  /** Slack handler executions under way (Bolt acks first, so an answered request may still be working). */
  inFlight(): number;
  /** Graceful shutdown: stop taking work, let in-flight runs finish, close every pool. */
  stop(): Promise<void>;
}

/** Wires opsbot together and starts the parts its role runs (DESIGN §9). */
export async function startOpsbot(
  env: Env,
  config: OpsConfig,
  log: Logger,
  options: StartOptions,
): Promise<Opsbot> {
  const pool = createPool(env.DATABASE_URL, log);
  const applied = await dependency(`PostgreSQL at ${redactUrl(env.DATABASE_URL)}`, migrate(pool));
  if (applied.length > 0) log.info({ applied }, 'migrations applied');

  const producer = createRedis(env.REDIS_URL, 'producer', log);
  const queue = createQueue(ACTIONS_QUEUE, { connection: producer, prefix: env.OPSBOT_QUEUE_PREFIX, log });
  await dependency(`Redis at ${redactUrl(env.REDIS_URL)}`, queue.waitUntilReady());
  const slack = createWebClient(env, log);
  const outboxStore = new OutboxStore(pool);
  const outboxSignals = new OutboxSignals(env.DATABASE_URL, log);
  await outboxSignals.start();
  const { deliverTimeoutMs, ...dispatchTuning } = options.slackOutbox ?? {};
  const outbox = new SlackOutbox({ store: outboxStore, signals: outboxSignals, deliverTimeoutMs });
  const store = new RunStore(pool);
  const targets = new TargetDatabases(config.services, log);
  // Earlier prometheus scrapes, in PostgreSQL so every process grades a ratio over the same window.
  const windows = new PostgresCounterWindows(pool);
  const kubernetes = new KubernetesTargets(config.services, env.KUBECONFIG);
  // The job id is the run id, so adding twice is harmless.
  const enqueue = (runId: string) => addJob(queue, 'run', { runId }, { jobId: runId });
  const incidentStore = new IncidentStore(pool);
  const { authorizer, access } = createAccess({
    config,
    pool,
    store,
    redis: producer,
    queuePrefix: env.OPSBOT_QUEUE_PREFIX,
    listGroupMembers: slackGroupMembers(slack),
    log,
    groupCacheTtlMs: options.groupCacheTtlMs,
    isIncidentChannel: (channel) => incidentStore.isOpenChannel(channel),
  });
  const cards = withIncidentTimeline(slackRunCards(outbox), incidentStore, log);
  const incidentSlack = slackIncidents(slack, outbox);
  const alertCards = slackAlertCards(outbox, outboxStore);
  const incidents = new IncidentService({
    config,
    store: incidentStore,
    slack: incidentSlack,
    rolesOf: (user) => access.rolesOf(user),
    auditDenial: (entry) => store.auditDenial(entry),
    log,
  });
  const runDeps = { config, store, pool, targets, kubernetes, cards, authorizer, log };
  const runs = new RunService({
    ...runDeps,
    enqueue,
    ...(options.planTtlMs ? { planTtlMs: options.planTtlMs } : {}),
  });
  const executor = new RunExecutor(runDeps);
  const pagerDutySweep = { ...SWEEP_DEFAULTS, ...options.pagerDutySweep };
  const webhookEvents = new WebhookStore(pool);
  const metrics = new Metrics({
    runsByState: () => store.countByState(),
    queueDepth: () => queue.getJobCounts('waiting', 'active', 'delayed', 'failed'),
    slackOutbox: () => outboxStore.backlog(),
    pagerDutyOverdue: () => webhookEvents.overdue(pagerDutySweep.staleAfterMs),
  });
  const routes = operationalRoutes(metrics, {
    postgres: async () => {
      await pool.query('SELECT 1');
    },
    redis: async () => {
      await producer.ping();
    },
    slack: cachedCheck(async () => {
      await slack.auth.test();
    }, 30_000),
  });

  const digest = new SlackDigestService({
    config,
    pool,
    outbox,
    slack,
    rolesOf: (user) => access.rolesOf(user),
    auditDenial: (entry) => store.auditDenial(entry),
    checkHealth: async (service) => {
      const checks = own(config.services, service)?.health ?? [];
      if (checks.length === 0) return 'unknown';
      return (await checkService(checks, (name) => targets.pool(service, name), windows)).level;
    },
    log,
  });

  const stops: (() => Promise<unknown>)[] = [];
  const inFlight = new InFlight();
  let server: Server | undefined;
  if (options.role !== 'worker') {
    const web = await startWeb({
      env,
      config,
      log,
      pool,
      producer,
      slack,
      routes,
      metrics,
      inFlight,
      access,
      authorizer,
      store,
      runs,
      targets,
      windows,
      kubernetes,
      alertCards,
      incidentStore,
      incidents,
      incidentSlack,
      digest,
    });
    server = web.server;
    stops.push(web.stop);
  } else {
    server = await serveRoutes(routes, env.PORT);
    const routesServer = server;
    stops.push(() => new Promise((resolve) => routesServer.close(resolve)));
  }
  if (options.role !== 'web') {
    const stopWorker = await startWorker({
      env,
      config,
      log,
      options,
      pool,
      producer,
      outbox,
      outboxStore,
      outboxSignals,
      dispatchTuning,
      pagerDutySweep,
      store,
      runs,
      executor,
      enqueue,
      cards,
      targets,
      windows,
      incidentStore,
      incidents,
      incidentSlack,
      alertCards,
      digest,
    });
    stops.push(stopWorker);
  }

  const port = (server?.address() as AddressInfo | null)?.port ?? env.PORT;
  log.info({ role: options.role, port, socketMode: Boolean(env.SLACK_APP_TOKEN) }, 'opsbot started');
  let stopping: Promise<void> | undefined;
  const stopAll = async () => {
    for (const stop of stops) await stop();
    await outboxSignals.stop();
    await queue.close();
    producer.disconnect();
    await targets.close();
    await pool.end();
    log.info('opsbot stopped');
  };
  return {
    port,
    runs,
    executor,
    inFlight: () => inFlight.count(),
    stop: () => {
      stopping ??= stopAll();
      return stopping;
    },
  };
}

/** Waits for a dependency at start-up; failing or silent for 15 s, it stops start-up with one sentence. */
export async function dependency<T>(name: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no answer within 15 s')), 15_000);
  });
  try {
    return await Promise.race([work, timeout]);
  } catch (error) {
    throw new UnavailableError(`${name} is not usable: ${describeError(error)}.`);
  } finally {
    clearTimeout(timer);
  }
}

/** Remembers a passing check for `ttlMs`, so probes do not call Slack on every scrape. */
function cachedCheck(check: () => Promise<void>, ttlMs: number): () => Promise<void> {
  let passedAt = 0;
  return async () => {
    if (Date.now() - passedAt < ttlMs) return;
    await check();
    passedAt = Date.now();
  };
}
