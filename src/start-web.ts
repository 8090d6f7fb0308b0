import { Server } from 'node:http';
import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { AccessParts } from './auth/create-access.js';
import type { Env } from './config/env.js';
import type { OpsConfig } from './config/ops-config.js';
import { describeError } from './describe-error.js';
import type { DigestService } from './digest/service.js';
import { UnavailableError } from './errors.js';
import type { InFlight } from './handlers/handle.js';
import { type HandlerDeps, registerHandlers } from './handlers/index.js';
import type { CounterWindowStore } from './health/counter-windows.js';
import { StatusService } from './health/status.js';
import { HomeService } from './home/service.js';
import { HomeStore } from './home/store.js';
import type { Metrics } from './http/metrics.js';
import type { Route } from './http/routes.js';
import { TimelineCapture } from './incidents/capture.js';
import { CapturedEntryStore } from './incidents/capture-store.js';
import type { IncidentSlack } from './incidents/ports.js';
import type { IncidentService } from './incidents/service.js';
import type { IncidentStore } from './incidents/store.js';
import { PodsService } from './kubernetes/show-pods.js';
import type { Logger } from './log.js';
import { LookupService } from './lookups/show.js';
import { AlertActions } from './pagerduty/alert-actions.js';
import { AlertStore } from './pagerduty/alert-store.js';
import { PagerDutyAsUser } from './pagerduty/as-user.js';
import { DeclarationStore } from './pagerduty/declaration-store.js';
import { OnCallService } from './pagerduty/oncall.js';
import type { AlertCards } from './pagerduty/ports.js';
import { PagerDutyRest } from './pagerduty/rest.js';
import { pagerDutyWebhook } from './pagerduty/start.js';
import { HistoryService } from './runs/history.js';
import type { RunService } from './runs/service.js';
import type { RunStore } from './runs/store.js';
import { createBoltApp } from './slack/transport/bolt-app.js';
import { slackUserEmail } from './slack/transport/user-email.js';
import type { TargetDatabases } from './targets/databases.js';
import type { KubernetesTargets } from './targets/kubernetes.js';

/** What the web role runs on: the parts startOpsbot builds for every role. */
export interface WebDeps extends AccessParts {
  env: Env;
  config: OpsConfig;
  log: Logger;
  pool: Pool;
  producer: Redis;
  slack: WebClient;
  /** The operational routes (/healthz, /readyz, /metrics), served beside Slack's. */
  routes: Route[];
  metrics: Metrics;
  inFlight: InFlight;
  store: RunStore;
  runs: RunService;
  targets: TargetDatabases;
  windows: CounterWindowStore;
  kubernetes: KubernetesTargets;
  alertCards: AlertCards;
  incidentStore: IncidentStore;
  incidents: IncidentService;
  incidentSlack: IncidentSlack;
  digest: DigestService;
}

/**
 * Starts the web role (DESIGN §9): the Slack app with its listeners, the PagerDuty webhook and the
 * operational routes. Returns its HTTP server (none in Socket Mode) and its stop.
 */
export async function startWeb(
  deps: WebDeps,
): Promise<{ server: Server | undefined; stop(): Promise<void> }> {
  const { env, config, log, pool, producer, slack, routes, metrics, inFlight, access, authorizer } = deps;
  const { store, runs, targets, windows, kubernetes, incidentStore, incidents, incidentSlack } = deps;
  const { alertCards, digest } = deps;
  const pagerDuty = pagerDutyWebhook({ env, config, pool, producer, log });
  const app = createBoltApp(env, [...routes, pagerDuty.route], log);
  await app.init().catch((error: unknown) => {
    throw new UnavailableError(`Slack could not verify SLACK_BOT_TOKEN (${describeError(error)}).`);
  });
  // What the one authorizer decides with (src/auth/authorizer.ts): every read service asks it.
  const authority = {
    rolesOf: (user: string) => access.rolesOf(user),
    auditDenial: (entry: Parameters<RunStore['auditDenial']>[0]) => store.auditDenial(entry),
  };
  const lookups = new LookupService({
    config,
    database: (service, name) => targets.pool(service, name),
    ...authority,
    isIncidentChannel: (channel) => incidentStore.isOpenChannel(channel),
  });
  const status = new StatusService({ config, pool, targets, windows, ...authority });
  const pods = new PodsService({ config, kubernetes, ...authority });
  const history = new HistoryService({ config, pool, ...authority });
  const rest = env.PAGERDUTY_TOKEN
    ? new PagerDutyRest(env.PAGERDUTY_TOKEN, env.PAGERDUTY_API_URL)
    : undefined;
  const oncall = new OnCallService({ config, rest, ...authority });
  const alertActions = new AlertActions({
    store: new AlertStore(pool),
    declarations: new DeclarationStore(pool),
    asUser: new PagerDutyAsUser({ rest, email: slackUserEmail(slack), ...authority }),
    incidents,
    cards: alertCards,
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
    history,
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
  const server = started instanceof Server ? started : undefined;
  return {
    server,
    stop: async () => {
      await app.stop();
      await pagerDuty.close();
    },
  };
}
