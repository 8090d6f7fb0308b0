import type { Pool } from 'pg';
import type { Env } from '../config/env.js';
import type { OpsConfig } from '../config/ops-config.js';
import { pagerDutyWebhookRoute } from '../http/pagerduty-webhook.js';
import type { Route } from '../http/routes.js';
import { IncidentStore } from '../incidents/store.js';
import type { Logger } from '../log.js';
import { isPostgresUnreachable, isRedisUnreachable, type Outages } from '../outages.js';
import type { RedisConnection } from '../queue/redis.js';
import { AlertStore } from './alert-store.js';
import { PagerDutyAlerts } from './alerts.js';
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
  queue: PagerDutyQueue;
  /** Where a delivery that meets PostgreSQL or Redis away reports it, so an outage is logged once. */
  outages: Outages;
  log: Logger;
}

/** The web side (web and all roles): `POST /webhooks/pagerduty` and the queue it feeds. */
export function pagerDutyWebhook(wiring: WebhookWiring): { route: Route } {
  const { env, config, pool, queue, outages } = wiring;
  const log = wiring.log.child({ component: 'pagerduty-webhook' });
  const secrets = webhookSecrets(env.PAGERDUTY_WEBHOOK_SECRET);
  if (config.pagerduty && secrets.length === 0) {
    log.warn('ops.yml has a pagerduty section but PAGERDUTY_WEBHOOK_SECRET is not set: webhooks get 503');
  }
  const webhooks = new PagerDutyWebhooks({
    secrets,
    store: new WebhookStore(pool),
    jobs: new JobsAfterAnswers((rowIds) => enqueuePagerDutyEvents(queue, rowIds)),
    // A redelivered event whose job failed all its attempts gets them again; a waiting one is left alone.
    requeue: async (eventRowId) => {
      await requeuePagerDutyEvent(queue, eventRowId);
    },
    storeFailed: (error) => {
      if (isPostgresUnreachable(error)) outages.postgres.failed(error);
      else log.error({ err: error }, 'could not store a PagerDuty event; answered 503 so PagerDuty retries');
    },
    // Stored already: the PagerDuty sweep queues it once Redis answers again.
    queueFailed: (error) => {
      if (isRedisUnreachable(error)) outages.redis.failed(error);
      else log.warn({ err: error }, 'could not queue a stored PagerDuty event; the PagerDuty sweep will');
    },
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
  log: Logger;
}

/** The worker side (worker and all roles): turns stored events into cards. */
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
  return { close: () => worker.close() };
}
