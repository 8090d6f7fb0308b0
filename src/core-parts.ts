import type { WebClient } from '@slack/web-api';
import type { Redactor } from './exec/redactor.js';
import type { CounterWindowStore } from './health/counter-windows.js';
import type { SustainedLevels } from './health/sustained.js';
import type { IncidentSlack } from './incidents/ports.js';
import type { IncidentStore } from './incidents/store.js';
import type { AlertCards } from './pagerduty/ports.js';
import type { WebhookStore } from './pagerduty/webhook-store.js';
import type { RunCards } from './runs/cards.js';
import type { RunStore } from './runs/store.js';
import type { SlackOutbox } from './slack/transport/outbox/outbox.js';
import type { OutboxSignals } from './slack/transport/outbox/signals.js';
import type { OutboxStore } from './slack/transport/outbox/store.js';
import type { TargetDatabases } from './targets/databases.js';
import type { DockerTargets } from './targets/docker.js';
import type { KubernetesTargets } from './targets/kubernetes.js';

/** The stores the services share: runs and the audit, incidents, PagerDuty webhook events. */
export interface CoreStores {
  readonly runs: RunStore;
  readonly incidents: IncidentStore;
  readonly webhookEvents: WebhookStore;
}

/** Slack as every role reaches it: the Web API client, the durable outbox, and the domain ports over them. */
export interface CoreSlack {
  readonly client: WebClient;
  readonly outbox: SlackOutbox;
  readonly outboxStore: OutboxStore;
  readonly outboxSignals: OutboxSignals;
  /** Run cards, with each run's line in its incident's timeline. */
  readonly runCards: RunCards;
  readonly incidents: IncidentSlack;
  readonly alertCards: AlertCards;
}

/** What opsbot acts on: the target databases, the Kubernetes clusters, and the shared Prometheus windows. */
export interface CoreTargets {
  readonly databases: TargetDatabases;
  readonly kubernetes: KubernetesTargets;
  readonly docker: DockerTargets;
  /** Replaces known secrets and token-shaped strings in command output and anything else a target wrote. */
  readonly redactor: Redactor;
  /** Earlier prometheus scrapes, in PostgreSQL so every process grades a ratio over the same window. */
  readonly windows: CounterWindowStore;
  /** The runs of sustained health checks, in PostgreSQL so every process holds a level back alike. */
  readonly levels: SustainedLevels;
}
