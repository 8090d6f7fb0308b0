import { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAccess } from './auth/create-access.js';
import type { Env } from './config/env.js';
import type { OpsConfig } from './config/ops-config.js';
import { own } from './config/own.js';
import { migrate } from './db/migrate.js';
import { createPool } from './db/pool.js';
import { startDigestSchedule } from './digest/schedule.js';
import { DigestService } from './digest/service.js';
import { UnavailableError } from './errors.js';
import { InFlight } from './handlers/handle.js';
import { type HandlerDeps, registerHandlers } from './handlers/index.js';
import { checkService } from './health/check-service.js';
import { HealthStore } from './health/health-store.js';
import { PostgresCounterWindows } from './health/postgres-counter-windows.js';
import { probeOnce } from './health/probe.js';
import { StatusService } from './health/status.js';
import { HomeService } from './home/service.js';
import { HomeStore } from './home/store.js';
import { Metrics } from './http/metrics.js';
import { operationalRoutes, serveRoutes } from './http/routes.js';
import { cadenceTick } from './incidents/cadence.js';
import { TimelineCapture } from './incidents/capture.js';
import { CapturedEntryStore } from './incidents/capture-store.js';
import { withIncidentTimeline } from './incidents/run-timeline.js';
import { IncidentService } from './incidents/service.js';
import { IncidentStore } from './incidents/store.js';
import { PodsService } from './kubernetes/show-pods.js';
import { type Logger, redactUrl } from './log.js';
import { LookupService } from './lookups/show.js';
import { AlertActions } from './pagerduty/alert-actions.js';
import { AlertStore } from './pagerduty/alert-store.js';
import { PagerDutyAsUser } from './pagerduty/as-user.js';
import { OnCallService } from './pagerduty/oncall.js';
import { PagerDutyRest } from './pagerduty/rest.js';
import { pagerDutyWebhook, startPagerDutyWorker } from './pagerduty/start.js';
import { SWEEP_DEFAULTS, type SweepTuning, startPagerDutySweep } from './pagerduty/sweeper.js';
import { WebhookStore } from './pagerduty/webhook-store.js';
import { createActionsQueue, createActionsWorker, enqueueRun } from './queue/actions-queue.js';
import { createRedis } from './queue/redis.js';
import { startTicker } from './queue/ticker.js';
import { describeError } from './runs/describe-error.js';
import { RunExecutor } from './runs/executor.js';
import { RunService } from './runs/service.js';
import { RunStore } from './runs/store.js';
import { startSweeper } from './runs/sweeper.js';
import { createBoltApp } from './slack/bolt-app.js';
import { slackHealthPosts } from './slack/health-posts.js';
import { slackIncidents } from './slack/incident-slack.js';
import { type DispatchTuning, startDispatcher } from './slack/outbox/dispatcher.js';
import { SlackOutbox } from './slack/outbox/outbox.js';
import { createOutboxClient, slackSender } from './slack/outbox/send.js';
import { OutboxSignals } from './slack/outbox/signals.js';
import { OutboxStore } from './slack/outbox/store.js';
import { slackRunCards } from './slack/run-cards.js';
import { slackUserEmail } from './slack/user-email.js';
import { slackGroupMembers } from './slack/user-groups.js';
import { createWebClient } from './slack/web-client.js';
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
  const queue = createActionsQueue(producer, env.OPSBOT_QUEUE_PREFIX, log);
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
  const enqueue = (runId: string) => enqueueRun(queue, runId);
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

  const digest = new DigestService({
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
    const pagerDuty = pagerDutyWebhook({ env, config, pool, producer, log });
    const app = createBoltApp(env, [...routes, pagerDuty.route], log);
    await app.init().catch((error: unknown) => {
      throw new UnavailableError(`Slack could not verify SLACK_BOT_TOKEN (${describeError(error)}).`);
    });
    const lookups = new LookupService({
      config,
      database: (service, name) => targets.pool(service, name),
      rolesOf: (user) => access.rolesOf(user),
      auditDenial: (entry) => store.auditDenial(entry),
    });
    const status = new StatusService({
      config,
      pool,
      targets,
      windows,
      rolesOf: (user) => access.rolesOf(user),
      auditDenial: (entry) => store.auditDenial(entry),
    });
    const pods = new PodsService({
      config,
      kubernetes,
      rolesOf: (user) => access.rolesOf(user),
      auditDenial: (entry) => store.auditDenial(entry),
    });
    const viewerCheck = {
      rolesOf: (user: string) => access.rolesOf(user),
      auditDenial: (entry: Parameters<RunStore['auditDenial']>[0]) => store.auditDenial(entry),
    };
    const rest = env.PAGERDUTY_TOKEN
      ? new PagerDutyRest(env.PAGERDUTY_TOKEN, env.PAGERDUTY_API_URL)
      : undefined;
    const oncall = new OnCallService({ config, rest, ...viewerCheck });
    const alertActions = new AlertActions({
      store: new AlertStore(pool),
      asUser: new PagerDutyAsUser({ rest, email: slackUserEmail(slack), ...viewerCheck }),
      incidents,
      outbox,
      config,
    });
    const capture = new TimelineCapture({
      store: incidentStore,
      entries: new CapturedEntryStore(pool),
      slack: incidentSlack,
      log,
    });
    const home = new HomeService({
      config,
      store: new HomeStore(pool),
      openIncidents: () => incidentStore.open(),
      rolesOf: (user) => access.rolesOf(user),
      authorizer,
    });
    const handlerDeps: HandlerDeps = {
      config,
      runs,
      access,
      log,
      metrics,
      lookups,
      status,
      pods,
      incidents,
      oncall,
      alertActions,
      capture,
      home,
      digest,
      inFlight,
    };
    registerHandlers(app, handlerDeps);
    app.error(async (error) => log.error({ err: error }, 'unhandled Slack error'));
    const started = await app.start(env.PORT);
    // HTTP mode returns its server; Socket Mode returns the connection it opened (its routes listen on PORT).
    server = started instanceof Server ? started : undefined;
    stops.push(() => app.stop());
    stops.push(() => pagerDuty.close());
  } else {
    server = await serveRoutes(routes, env.PORT);
    const routesServer = server;
    stops.push(() => new Promise((resolve) => routesServer.close(resolve)));
  }
  if (options.role !== 'web') {
    const consumer = createRedis(env.REDIS_URL, 'worker', log);
    const worker = createActionsWorker(
      consumer,
      env.OPSBOT_QUEUE_PREFIX,
      (runId) => executor.execute(runId),
      log,
    );
    const dispatcher = startDispatcher({
      store: outboxStore,
      signals: outboxSignals,
      send: slackSender(createOutboxClient(env, log)),
      log,
      tuning: dispatchTuning,
    });
    const pagerDutyWorker = startPagerDutyWorker({
      env,
      config,
      pool,
      producer,
      consumer,
      outbox,
      outboxStore,
      log,
    });
    const stopPagerDutySweep = await startPagerDutySweep({
      prefix: env.OPSBOT_QUEUE_PREFIX,
      pool,
      producer,
      consumer,
      tuning: pagerDutySweep,
      log,
    });
    const stopSweeper = startSweeper(
      { store, runs, enqueue, log, pool, config, cards },
      options.sweepEveryMs,
    );
    const healthStore = new HealthStore(pool);
    const postHealthChange = slackHealthPosts(outbox, config.workspace.ops_channel);
    const stopProbe = await startTicker({
      name: 'health-probe',
      producer,
      consumer,
      prefix: env.OPSBOT_QUEUE_PREFIX,
      everyMs: options.probeEveryMs ?? config.workspace.health_probe_every,
      tick: () => probeOnce({ config, targets, windows, store: healthStore, post: postHealthChange, log }),
      log,
    });
    const stopCadence = await startTicker({
      name: 'incident-cadence',
      producer,
      consumer,
      prefix: env.OPSBOT_QUEUE_PREFIX,
      everyMs: options.incidentTickMs ?? 15_000,
      tick: () =>
        cadenceTick({
          config,
          store: incidentStore,
          incidents,
          slack: incidentSlack,
          health: (service) =>
            checkService(
              own(config.services, service)?.health ?? [],
              (name) => targets.pool(service, name),
              windows,
            ),
          log,
        }),
      log,
    });
    const stopDigests = await startDigestSchedule({
      producer,
      consumer,
      prefix: env.OPSBOT_QUEUE_PREFIX,
      patterns: {
        ...(config.digest ? { daily: config.digest.schedule } : {}),
        ...(config.digest?.weekly ? { weekly: config.digest.weekly.schedule } : {}),
      },
      tz: config.workspace.timezone,
      post: (schedule, slotAt) => digest.postSlot(schedule, slotAt),
      log,
    });
    stops.push(async () => {
      await stopDigests();
      await stopCadence();
      await stopProbe();
      await stopSweeper();
      await stopPagerDutySweep();
      await worker.close();
      await pagerDutyWorker.close();
      await dispatcher.stop();
      consumer.disconnect();
    });
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
