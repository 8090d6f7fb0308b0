import type { Pool } from 'pg';
import type { Env } from '../config/env.js';
import type { OpsConfig } from '../config/ops-config.js';
import { pagerDutyWebhookRoute } from '../http/pagerduty-webhook.js';
import type { Route } from '../http/routes.js';
import { IncidentStore } from '../incidents/store.js';
import type { Logger } from '../log.js';
import { type Outages, unlessOutage } from '../outages.js';
import type { RedisConnection } from '../queue/redis.js';
import { PAGERDUTY_STORED } from '../slack/transport/outbox/signals.js';
import { AlertStore } from './alert-store.js';
import { PagerDutyAlerts } from './alerts.js';
import { PagerDutyFeed } from './event-feed.js';
import { JobsAfterAnswers } from './event-jobs.js';
import {
  createPagerDutyWorker,
  enqueuePagerDutyEvents,
  type PagerDutyQueue,
  requeuePagerDutyEvent,
  scheduleStormEdit,
} from './events-queue.js';
import type { AlertCards } from './ports.js';
import { webhookSecrets } from './signature.js';
import { WebhookStore } from './webhook-store.js';
import { PagerDutyWebhooks } from './webhooks.js';

interface WebhookWiring {
  env: Pick<Env, 'PAGERDUTY_WEBHOOK_SECRET'>;
  config: Pick<OpsConfig, 'pagerduty'>;
  pool: Pool;
  /** For a redelivered event whose job gave up: it is retried at once. */
  queue: PagerDutyQueue;
  /** Where a delivery that meets PostgreSQL or Redis away reports it, so an outage is logged once. */
  outages: Outages;
  log: Logger;
}

/**
 * The web side (web and all roles): `POST /webhooks/pagerduty`. Taking an event needs PostgreSQL only: the
 * events it stores are announced to the workers (PAGERDUTY_STORED), whose feed queues them.
 */
export function pagerDutyWebhook(wiring: WebhookWiring): { route: Route } {
  const { env, config, pool, queue, outages } = wiring;
  const log = wiring.log.child({ component: 'pagerduty-webhook' });
  const secrets = webhookSecrets(env.PAGERDUTY_WEBHOOK_SECRET);
  if (config.pagerduty && secrets.length === 0) {
    log.warn('ops.yml has a pagerduty section but PAGERDUTY_WEBHOOK_SECRET is not set: webhooks get 503');
  }
  const store = new WebhookStore(pool);
  const webhooks = new PagerDutyWebhooks({
    secrets,
    store,
    jobs: new JobsAfterAnswers(() => store.announceStored(PAGERDUTY_STORED)),
    requeue: async (eventRowId) => {
      await requeuePagerDutyEvent(queue, eventRowId);
    },
    // An outage or a busy pool is counted (and logged once) where it belongs; anything else is logged here.
    storeFailed: (error) =>
      unlessOutage(outages, error, () =>
        log.error({ err: error }, 'could not store a PagerDuty event; answered 503 so PagerDuty retries'),
      ),
    // Stored already: the workers' feed finds it within seconds, the PagerDuty sweep a job that gave up.
    queueFailed: (error) =>
      unlessOutage(outages, error, () =>
        log.warn({ err: error }, 'could not announce a stored PagerDuty event; the workers will find it'),
      ),
    log,
  });
  return { route: pagerDutyWebhookRoute(webhooks, log) };
}

interface WorkerWiring {
  env: Pick<Env, 'OPSBOT_QUEUE_PREFIX'>;
  config: Pick<OpsConfig, 'workspace' | 'pagerduty' | 'services'>;
  pool: Pool;
  queue: PagerDutyQueue;
  consumer: RedisConnection;
  /** The cards in Slack (the Slack adapter alert-cards.ts). */
  cards: AlertCards;
  /** Calls `listener` on every PAGERDUTY_STORED notification; returns the unsubscribe. */
  onStored(listener: () => void): () => void;
  outages?: Outages;
  log: Logger;
}

/** The worker side (worker and all roles): queues the stored events (the feed) and turns them into cards. */
export function startPagerDutyWorker(wiring: WorkerWiring): { close(): Promise<void> } {
  const { env, config, pool, queue, consumer } = wiring;
  const log = wiring.log.child({ component: 'pagerduty-alerts' });
  const alerts = new PagerDutyAlerts({
    pool,
    events: new WebhookStore(pool),
    store: new AlertStore(pool),
    cards: wiring.cards,
    scheduleStormEdit: (stormId, since, delayMs) => scheduleStormEdit(queue, stormId, since, delayMs),
    timeline: async (tx, incidentId, entry) => {
      await IncidentStore.addEventIn(tx, incidentId, entry);
    },
    config,
    log,
  });
  const worker = createPagerDutyWorker(
    { event: (eventRowId) => alerts.handle(eventRowId), stormEdit: (stormId) => alerts.editStorm(stormId) },
    { connection: consumer, prefix: env.OPSBOT_QUEUE_PREFIX, log },
  );
  const feed = new PagerDutyFeed({
    store: new WebhookStore(pool),
    enqueue: (rowIds) => enqueuePagerDutyEvents(queue, rowIds),
    log: wiring.log.child({ component: 'pagerduty-feed' }),
    ...(wiring.outages ? { outages: wiring.outages } : {}),
  });
  const unsubscribe = wiring.onStored(() => feed.wake());
  // Whatever was stored while no worker listened.
  feed.wake();
  return {
    close: async () => {
      unsubscribe();
      await feed.stop();
      await worker.close();
    },
  };
}
