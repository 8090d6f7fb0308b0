import type { Pool } from 'pg';
import { AccessRequests } from './access/service.js';
import { AccessGrantStore } from './access/store.js';
import type { AccessService } from './auth/access.js';
import type { Authorizer } from './auth/authorizer.js';
import type { Env } from './config/env.js';
import type { OpsConfig } from './config/ops-config.js';
import { own } from './config/own.js';
import type { CoreSlack, CoreStores, CoreTargets } from './core-parts.js';
import type { DigestService } from './digest/service.js';
import { composeLogs } from './docker/logs.js';
import { NotFoundError } from './errors.js';
import { FollowupListStore } from './followups/list-store.js';
import type { FollowupMirror } from './followups/ports.js';
import { FollowupService } from './followups/service.js';
import { FollowupStore } from './followups/store.js';
import { checkService } from './health/check-service.js';
import { StatusService } from './health/status.js';
import { HomeService } from './home/service.js';
import { HomeStore } from './home/store.js';
import { refreshingCanvas } from './incidents/canvas-followups.js';
import { TimelineCapture } from './incidents/capture.js';
import { CapturedEntryStore } from './incidents/capture-store.js';
import { EscalationStore } from './incidents/escalation-store.js';
import { incidentRunbookTimeline } from './incidents/runbook-timeline.js';
import { IncidentService } from './incidents/service.js';
import { enqueueSlot } from './incidents/slot-queue.js';
import { IncidentSlots } from './incidents/slots.js';
import { deploymentLogs } from './kubernetes/logs.js';
import { PodsService } from './kubernetes/show-pods.js';
import type { Logger } from './log.js';
import { LogsService } from './logs/service.js';
import { LookupService } from './lookups/show.js';
import { AlertActions } from './pagerduty/alert-actions.js';
import { AlertStore } from './pagerduty/alert-store.js';
import { PagerDutyAsUser } from './pagerduty/as-user.js';
import { DeclarationStore } from './pagerduty/declaration-store.js';
import { OnCallService } from './pagerduty/oncall.js';
import { PagerDutyRest } from './pagerduty/rest.js';
import { StormActions } from './pagerduty/storm-actions.js';
import { StormBulkStore } from './pagerduty/storm-bulk-store.js';
import type { INCIDENT_SLOTS_QUEUE, RUNBOOKS_QUEUE, TypedQueue } from './queue/queues.js';
import { RunbookAnswers } from './runbooks/answers.js';
import { RunbookEngine } from './runbooks/engine.js';
import { RunbookStore } from './runbooks/store.js';
import { enqueueRunbook } from './runbooks/worker.js';
import { RunExecutor } from './runs/executor.js';
import { HistoryService } from './runs/history.js';
import { RunService } from './runs/service.js';
import type { RunStore } from './runs/store.js';
import { slackAccess } from './slack/adapters/access-slack.js';
import { SlackDigestService } from './slack/adapters/digest-slack.js';
import { SlackListMirror } from './slack/adapters/followup-list.js';
import { slackFollowups } from './slack/adapters/followup-slack.js';
import { slackRunbookPosts } from './slack/adapters/runbook-posts.js';
import { slackUserEmail } from './slack/transport/user-email.js';
import type { StartOptions } from './start-options.js';

/** The domain services: what Slack listeners, webhooks, workers and schedules call. */
export interface CoreServices {
  readonly runs: RunService;
  readonly executor: RunExecutor;
  readonly incidents: IncidentService;
  /** Gives incidents their delayed jobs for status updates and escalation steps (the worker works them). */
  readonly incidentSlots: IncidentSlots;
  readonly digest: DigestService;
  readonly lookups: LookupService;
  readonly status: StatusService;
  readonly pods: PodsService;
  readonly logs: LogsService;
  readonly history: HistoryService;
  readonly oncall: OnCallService;
  readonly alertActions: AlertActions;
  /** Acknowledge all and Resolve all on alert storms' roll-up cards. */
  readonly stormActions: StormActions;
  readonly capture: TimelineCapture;
  readonly home: HomeService;
  /** Just-in-time access: `/ops elevate`, `/ops access`, and the Approve, Deny and Revoke buttons. */
  readonly accessRequests: AccessRequests;
  readonly runbooks: RunbookEngine;
  readonly runbookStore: RunbookStore;
  /** People's answers to runbooks' questions (the Answer button and its modal). */
  readonly runbookAnswers: RunbookAnswers;
  /** Incident follow-ups: added, listed, closed, their owners told and reminded. */
  readonly followups: FollowupService;
  /** Keeps the follow-ups' Slack List in step (the worker's follow-up check runs it). */
  readonly followupMirror: FollowupMirror;
}

/** What the services are built from: the parts buildCore made before them. */
export interface ServiceParts {
  env: Env;
  config: OpsConfig;
  log: Logger;
  options: StartOptions;
  pool: Pool;
  access: AccessService;
  authorizer: Authorizer;
  stores: CoreStores;
  slack: CoreSlack;
  targets: CoreTargets;
  enqueue(runId: string): Promise<void>;
  runbooksQueue: TypedQueue<typeof RUNBOOKS_QUEUE>;
  incidentSlotsQueue: TypedQueue<typeof INCIDENT_SLOTS_QUEUE>;
}

/** Builds every domain service once, each on the one authorizer and its own narrow ports. */
export function createServices(parts: ServiceParts): CoreServices {
  const { env, config, log, options, pool, access, authorizer, stores, slack, targets } = parts;
  // What the one authorizer decides with (src/auth/authorizer.ts): every read service asks it.
  const authority = {
    rolesOf: (user: string) => access.rolesOf(user),
    auditDenial: (entry: Parameters<RunStore['auditDenial']>[0]) => stores.runs.auditDenial(entry),
  };
  const runDeps = {
    config,
    store: stores.runs,
    pool,
    targets: targets.databases,
    kubernetes: targets.kubernetes,
    docker: targets.docker,
    redactor: targets.redactor,
    cards: slack.runCards,
    authorizer,
    log,
  };
  const incidentSlots = new IncidentSlots({
    steps: config.incidents.escalation,
    store: stores.incidents,
    escalations: new EscalationStore(pool),
    add: (incidentId, at) => enqueueSlot(parts.incidentSlotsQueue, incidentId, at),
  });
  const incidents = new IncidentService({
    config,
    store: stores.incidents,
    slack: slack.incidents,
    slots: incidentSlots,
    openFollowUps: (incidentId) => followupStore.openFor(incidentId),
    ...authority,
    log,
  });
  const rest = env.PAGERDUTY_TOKEN
    ? new PagerDutyRest(
        env.PAGERDUTY_TOKEN,
        env.PAGERDUTY_API_URL,
        undefined,
        options.pagerDutyRateLimitWaitMs,
      )
    : undefined;
  const alertStore = new AlertStore(pool);
  const asUser = new PagerDutyAsUser({ rest, email: slackUserEmail(slack.client), ...authority });
  const runs = new RunService({
    ...runDeps,
    enqueue: parts.enqueue,
    ...(options.planTtlMs ? { planTtlMs: options.planTtlMs } : {}),
  });
  const runbookStore = new RunbookStore(pool);
  const followupStore = new FollowupStore(pool);
  const runbooks = new RunbookEngine({
    config,
    runs,
    runStore: stores.runs,
    store: runbookStore,
    authorizer,
    posts: slackRunbookPosts(slack.outbox),
    cards: slack.runCards,
    timeline: incidentRunbookTimeline(stores.incidents, log),
    database: (service, name) => targets.databases.pool(service, name),
    check: async (service, name) => {
      const checks = (own(config.services, service)?.health ?? []).filter((check) => check.name === name);
      const { windows, levels } = targets;
      const database = (db: string) => targets.databases.pool(service, db);
      const [result] = (await checkService(service, checks, { database, windows, levels })).checks;
      if (!result) throw new NotFoundError(`${service} has no health check called ${name}.`);
      return result;
    },
    incidents,
    incidentStore: stores.incidents,
    pollMs: options.runbookPollMs ?? 2_000,
    log,
  });
  return {
    runs,
    runbooks,
    runbookStore,
    runbookAnswers: new RunbookAnswers({ config, runStore: stores.runs, store: runbookStore, authorizer }),
    executor: new RunExecutor(runDeps, {
      start: async (run) => {
        await runbooks.begin(run);
        await enqueueRunbook(parts.runbooksQueue, run.id);
      },
    }),
    incidents,
    incidentSlots,
    digest: new SlackDigestService({
      config,
      pool,
      outbox: slack.outbox,
      slack: slack.client,
      ...authority,
      checkHealth: async (service) => {
        const checks = own(config.services, service)?.health ?? [];
        if (checks.length === 0) return 'unknown';
        const { windows, levels } = targets;
        const database = (name: string) => targets.databases.pool(service, name);
        return (await checkService(service, checks, { database, windows, levels })).level;
      },
      log,
    }),
    lookups: new LookupService({
      config,
      database: (service, name) => targets.databases.pool(service, name),
      ...authority,
      isIncidentChannel: (channel) => stores.incidents.isOpenChannel(channel),
    }),
    status: new StatusService({
      config,
      pool,
      targets: targets.databases,
      windows: targets.windows,
      levels: targets.levels,
      ...authority,
    }),
    pods: new PodsService({
      config,
      kubernetes: targets.kubernetes,
      redactor: targets.redactor,
      ...authority,
    }),
    logs: new LogsService({
      config,
      kubernetes: targets.kubernetes,
      docker: targets.docker,
      readers: { kubernetes: deploymentLogs, compose: composeLogs },
      redactor: targets.redactor,
      ...authority,
    }),
    history: new HistoryService({ config, pool, ...authority }),
    oncall: new OnCallService({ config, rest, ...authority }),
    alertActions: new AlertActions({
      store: alertStore,
      declarations: new DeclarationStore(pool),
      asUser,
      incidents,
      cards: slack.alertCards,
      config,
    }),
    stormActions: new StormActions({
      bulk: new StormBulkStore(pool),
      store: alertStore,
      asUser,
      cards: slack.alertCards,
      config,
      log,
    }),
    capture: new TimelineCapture({
      store: stores.incidents,
      entries: new CapturedEntryStore(pool),
      slack: slack.incidents,
      log,
    }),
    followups: new FollowupService({
      config,
      store: followupStore,
      incidents: stores.incidents,
      // Adding or closing one also refreshes the incident's canvas, whose Follow-ups section lists them.
      slack: refreshingCanvas(
        slackFollowups(slack.client, slack.outbox),
        (incidentId) => slack.outboxStore.refreshCanvas(incidentId),
        log,
      ),
      ...authority,
      log,
    }),
    followupMirror: new SlackListMirror({
      client: slack.client,
      store: followupStore,
      lists: new FollowupListStore(pool),
      outbox: slack.outbox,
      opsChannel: config.workspace.ops_channel,
      log,
    }),
    home: new HomeService({
      config,
      store: new HomeStore(pool),
      openIncidents: () => stores.incidents.open(),
      rolesOf: (user) => access.rolesOf(user),
      authorizer,
    }),
    accessRequests: new AccessRequests({
      config,
      store: new AccessGrantStore(pool),
      slack: slackAccess(slack.outbox, slack.client, config.workspace.timezone),
      rolesOf: (user) => access.rolesOf(user),
      inGroup: (group, user) => access.inGroup(group, user),
      auditDenial: authority.auditDenial,
      log,
    }),
  };
}
