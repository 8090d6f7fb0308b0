import { PENDING_TTL_MS } from './access/service.js';
import { AccessGrantStore } from './access/store.js';
import { startAccessSweep, WARN_BEFORE_MS } from './access/sweep.js';
import { own } from './config/own.js';
import type { Core } from './core.js';
import { startDigestSchedule } from './digest/schedule.js';
import { checkService } from './health/check-service.js';
import { HealthStore } from './health/health-store.js';
import { probeOnce } from './health/probe.js';
import { cadenceTick } from './incidents/cadence.js';
import { canvasFactsReader } from './incidents/canvas-facts.js';
import { CanvasStore } from './incidents/canvas-store.js';
import { escalationTick } from './incidents/escalation.js';
import { EscalationStore } from './incidents/escalation-store.js';
import { startSlotWorker } from './incidents/slot-queue.js';
import { createEscalationPager } from './pagerduty/escalation-pager.js';
import { startPagerDutyWorker } from './pagerduty/start.js';
import { startPagerDutySweep } from './pagerduty/sweeper.js';
import { closeWithin } from './queue/close-within.js';
import { ACTIONS_QUEUE, createWorker } from './queue/queues.js';
import { createRedis } from './queue/redis.js';
import { every, startSchedule } from './queue/schedule.js';
import { startRunbookWorker } from './runbooks/worker.js';
import { redeliverRun } from './runs/redeliver.js';
import { startSweeper } from './runs/sweeper.js';
import { slackAccess } from './slack/adapters/access-slack.js';
import { slackHealthPosts } from './slack/adapters/health-posts.js';
import { incidentCanvasRefresher } from './slack/adapters/incident-canvas.js';
import { startDispatcher } from './slack/transport/outbox/dispatcher.js';
import { slackPostFinder } from './slack/transport/outbox/find-post.js';
import { createOutboxClient, slackSender } from './slack/transport/outbox/send.js';
import { slackUserEmail } from './slack/transport/user-email.js';

/**
 * Starts the worker role (DESIGN §9) on the core: the actions worker, the Slack outbox dispatcher, the PagerDuty
 * worker and sweep, the run sweeper and the scheduled jobs (health probe, incident cadence, digests). Returns
 * its stop, which resolves false when OPSBOT_SHUTDOWN_GRACE ran out with actions still executing.
 */
export async function startWorker(core: Core): Promise<() => Promise<boolean>> {
  const { env, config, log, options, pool, slack, stores, targets, services } = core;
  const consumer = createRedis(env, 'worker', log, core.outages);
  const prefix = env.OPSBOT_QUEUE_PREFIX;
  const worker = createWorker(
    ACTIONS_QUEUE,
    { run: ({ runId }) => services.executor.execute(runId) },
    { connection: consumer, prefix, log },
  );
  const stopRunbooks = startRunbookWorker({
    outages: core.outages,
    engine: services.runbooks,
    store: services.runbookStore,
    queue: core.queues.runbooks,
    consumer,
    prefix,
    log,
    sweepEveryMs: options.sweepEveryMs,
  });
  const outboxClient = createOutboxClient(env, log);
  // Incident canvases are refreshed through the outbox, with its pacing and retries (migration 0020).
  const refreshCanvas = incidentCanvasRefresher({
    client: outboxClient,
    store: new CanvasStore(pool),
    facts: canvasFactsReader(pool, config),
    log,
  });
  const dispatcher = startDispatcher({
    outages: core.outages,
    store: slack.outboxStore,
    signals: slack.outboxSignals,
    send: slackSender(outboxClient, refreshCanvas),
    findPost: slackPostFinder(outboxClient),
    log,
    tuning: core.tuning.dispatch,
    onSend: (result) => core.metrics.outboxSends.inc({ result }),
  });
  const pagerDutyWorker = startPagerDutyWorker({
    env,
    config,
    pool,
    queue: core.queues.pagerDuty,
    consumer,
    cards: slack.alertCards,
    onStored: (listener) => slack.outboxSignals.onPagerDutyStored(listener),
    outages: core.outages,
    log,
  });
  const scheduleWiring = { producer: core.redis, consumer, prefix, log };
  const stopPagerDutySweep = await startPagerDutySweep({
    queue: core.queues.pagerDuty,
    store: stores.webhookEvents,
    tuning: core.tuning.pagerDutySweep,
    ...scheduleWiring,
  });
  const stopSweeper = startSweeper(
    {
      outages: core.outages,
      store: stores.runs,
      runs: services.runs,
      redeliver: (runId) => redeliverRun(core.queues.actions, core.enqueue, runId),
      log,
      pool,
      config,
      cards: slack.runCards,
    },
    options.sweepEveryMs,
  );
  // Just-in-time grants: "ends soon" once, then expired (they count for nothing from expires_at regardless).
  const stopAccessSweep = startAccessSweep(
    {
      store: new AccessGrantStore(pool),
      slack: slackAccess(slack.outbox, slack.client, config.workspace.timezone),
      timeZone: config.workspace.timezone,
      log,
      outages: core.outages,
      warnBeforeMs: options.accessWarnBeforeMs ?? WARN_BEFORE_MS,
      pendingTtlMs: PENDING_TTL_MS,
    },
    options.accessSweepEveryMs ?? 15_000,
  );
  const healthStore = new HealthStore(pool);
  const postHealthChange = slackHealthPosts(slack.outbox, config.workspace.ops_channel);
  const { databases, windows, levels } = targets;
  const stopProbe = await startSchedule(
    'ops-health-probe',
    {
      'health-probe': {
        repeat: every(options.probeEveryMs ?? config.workspace.health_probe_every),
        data: {},
        run: () =>
          probeOnce({
            config,
            targets: databases,
            windows,
            levels,
            store: healthStore,
            post: postHealthChange,
            log,
          }),
      },
    },
    scheduleWiring,
  );
  const escalation = {
    config,
    store: stores.incidents,
    escalations: new EscalationStore(pool),
    slack: slack.incidents,
    pager: createEscalationPager({ env, config, pool, email: slackUserEmail(slack.client), log }),
    log,
  };
  const cadence = {
    store: stores.incidents,
    incidents: services.incidents,
    slack: slack.incidents,
    health: (service: string) =>
      checkService(service, own(config.services, service)?.health ?? [], {
        database: (name) => databases.pool(service, name),
        windows,
        levels,
      }),
    log,
  };
  const { incidentSlots } = services;
  // Each incident's slots are delayed jobs, on time; the tick is the safety sweep behind them: it does what is
  // due and gives every open incident its jobs again, in case Redis lost them.
  const stopSlots = startSlotWorker({
    consumer,
    prefix,
    log,
    look: (incidentId, now) =>
      cadenceTick(cadence, now, incidentId).finally(() => escalationTick(escalation, now, incidentId)),
    slots: incidentSlots,
  });
  await incidentSlots
    .scheduleOpen()
    .catch((error) => log.warn({ err: error }, 'could not schedule the open incidents'));
  const stopCadence = await startSchedule(
    'ops-incident-cadence',
    {
      'incident-cadence': {
        repeat: every(options.incidentTickMs ?? 60_000),
        data: {},
        run: () =>
          cadenceTick(cadence)
            .finally(() => escalationTick(escalation))
            .finally(() => incidentSlots.scheduleOpen()),
      },
    },
    scheduleWiring,
  );
  // Owners of follow-ups now due are reminded (once each), and the Slack List is brought in step.
  const stopFollowups = await startSchedule(
    'ops-followups',
    {
      'followup-check': {
        repeat: every(options.followupCheckMs ?? 60_000),
        data: {},
        run: async () => {
          await services.followups.remindDue().finally(() => services.followupMirror.sync());
        },
      },
    },
    scheduleWiring,
  );
  const stopDigests = await startDigestSchedule({
    ...scheduleWiring,
    patterns: {
      ...(config.digest ? { daily: config.digest.schedule } : {}),
      ...(config.digest?.weekly ? { weekly: config.digest.weekly.schedule } : {}),
    },
    tz: config.workspace.timezone,
    post: (schedule, slotAt) => services.digest.postSlot(schedule, slotAt),
  });
  return async () => {
    // No queue hands this process a job from now on; running actions get the grace while the rest stops.
    const drained = closeWithin(worker, env.OPSBOT_SHUTDOWN_GRACE);
    const othersClosed = Promise.all([stopRunbooks(), pagerDutyWorker.close()]);
    await stopDigests();
    await stopFollowups();
    await stopCadence();
    await stopSlots();
    await stopProbe();
    await stopSweeper();
    await stopAccessSweep();
    await stopPagerDutySweep();
    const finished = await drained;
    if (!finished) {
      log.warn(
        { runs: services.executor.inFlight(), graceMs: env.OPSBOT_SHUTDOWN_GRACE },
        'shutdown grace is over: these runs are cut off when opsbot exits; another worker re-runs the idempotent ones and marks the others interrupted',
      );
    }
    await othersClosed;
    await dispatcher.stop();
    consumer.disconnect();
    return finished;
  };
}
