import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { Env } from './config/env.js';
import type { OpsConfig } from './config/ops-config.js';
import { own } from './config/own.js';
import { startDigestSchedule } from './digest/schedule.js';
import type { DigestService } from './digest/service.js';
import { checkService } from './health/check-service.js';
import type { CounterWindowStore } from './health/counter-windows.js';
import { HealthStore } from './health/health-store.js';
import { probeOnce } from './health/probe.js';
import { cadenceTick } from './incidents/cadence.js';
import type { IncidentSlack } from './incidents/ports.js';
import type { IncidentService } from './incidents/service.js';
import type { IncidentStore } from './incidents/store.js';
import type { Logger } from './log.js';
import type { StartOptions } from './opsbot.js';
import type { AlertCards } from './pagerduty/ports.js';
import { startPagerDutyWorker } from './pagerduty/start.js';
import { type SweepTuning, startPagerDutySweep } from './pagerduty/sweeper.js';
import { ACTIONS_QUEUE, createWorker } from './queue/queues.js';
import { createRedis } from './queue/redis.js';
import { every, startSchedule } from './queue/schedule.js';
import type { RunCards } from './runs/cards.js';
import type { RunExecutor } from './runs/executor.js';
import type { RunService } from './runs/service.js';
import type { RunStore } from './runs/store.js';
import { startSweeper } from './runs/sweeper.js';
import { slackHealthPosts } from './slack/adapters/health-posts.js';
import { type DispatchTuning, startDispatcher } from './slack/transport/outbox/dispatcher.js';
import type { SlackOutbox } from './slack/transport/outbox/outbox.js';
import { createOutboxClient, slackSender } from './slack/transport/outbox/send.js';
import type { OutboxSignals } from './slack/transport/outbox/signals.js';
import type { OutboxStore } from './slack/transport/outbox/store.js';
import type { TargetDatabases } from './targets/databases.js';

/** What the worker role runs on: the parts startOpsbot builds for every role. */
export interface WorkerDeps {
  env: Env;
  config: OpsConfig;
  log: Logger;
  options: Pick<StartOptions, 'sweepEveryMs' | 'probeEveryMs' | 'incidentTickMs'>;
  pool: Pool;
  producer: Redis;
  outbox: SlackOutbox;
  outboxStore: OutboxStore;
  outboxSignals: OutboxSignals;
  dispatchTuning: Partial<DispatchTuning>;
  pagerDutySweep: SweepTuning;
  store: RunStore;
  runs: RunService;
  executor: RunExecutor;
  enqueue(runId: string): Promise<void>;
  cards: RunCards;
  targets: TargetDatabases;
  windows: CounterWindowStore;
  incidentStore: IncidentStore;
  incidents: IncidentService;
  incidentSlack: IncidentSlack;
  alertCards: AlertCards;
  digest: DigestService;
}

/**
 * Starts the worker role (DESIGN §9): the actions worker, the Slack outbox dispatcher, the PagerDuty worker
 * and sweep, the run sweeper and the tickers (health probe, incident cadence, digests). Returns its stop.
 */
export async function startWorker(deps: WorkerDeps): Promise<() => Promise<void>> {
  const { env, config, log, options, pool, producer, outbox, outboxStore, outboxSignals } = deps;
  const { store, runs, executor, enqueue, cards, targets, windows, incidentStore, incidents } = deps;
  const { dispatchTuning, pagerDutySweep, incidentSlack, alertCards, digest } = deps;
  const consumer = createRedis(env.REDIS_URL, 'worker', log);
  const worker = createWorker(
    ACTIONS_QUEUE,
    { run: ({ runId }) => executor.execute(runId) },
    { connection: consumer, prefix: env.OPSBOT_QUEUE_PREFIX, log },
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
    cards: alertCards,
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
  const stopSweeper = startSweeper({ store, runs, enqueue, log, pool, config, cards }, options.sweepEveryMs);
  const healthStore = new HealthStore(pool);
  const postHealthChange = slackHealthPosts(outbox, config.workspace.ops_channel);
  const scheduleWiring = { producer, consumer, prefix: env.OPSBOT_QUEUE_PREFIX, log };
  const probeEveryMs = options.probeEveryMs ?? config.workspace.health_probe_every;
  const stopProbe = await startSchedule(
    'ops-health-probe',
    {
      'health-probe': {
        repeat: every(probeEveryMs),
        data: {},
        run: () => probeOnce({ config, targets, windows, store: healthStore, post: postHealthChange, log }),
      },
    },
    scheduleWiring,
  );
  const stopCadence = await startSchedule(
    'ops-incident-cadence',
    {
      'incident-cadence': {
        repeat: every(options.incidentTickMs ?? 15_000),
        data: {},
        run: () =>
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
    post: (schedule, slotAt) => digest.postSlot(schedule, slotAt),
    log,
  });
  return async () => {
    await stopDigests();
    await stopCadence();
    await stopProbe();
    await stopSweeper();
    await stopPagerDutySweep();
    await worker.close();
    await pagerDutyWorker.close();
    await dispatcher.stop();
    consumer.disconnect();
  };
}
