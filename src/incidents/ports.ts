import type { ServiceHealth } from '../health/check-service.js';
import type { Incident, IncidentRole } from './incident.js';

/** What the scheduled status update reports (DESIGN §5). */
export interface StatusUpdateFacts {
  incident: Incident;
  severityText: string;
  actions: string[];
  health: { service: string; health: ServiceHealth }[];
  now: Date;
}

/**
 * Something incidents say in Slack: `text` is the sentence itself (the notification, and what the timeline
 * records), the rest is what the Slack side needs to draw it.
 */
export type IncidentMessage =
  | { kind: 'intro'; text: string; incident: Incident; severityText: string }
  | { kind: 'notice'; text: string }
  | { kind: 'role-duties'; text: string; role: IncidentRole }
  | { kind: 'status-update'; text: string; facts: StatusUpdateFacts }
  | { kind: 'nudge'; text: string; incident: Incident }
  | { kind: 'escalation'; text: string };

/** The incident's card in the ops channel, drawn from its state as it is now. */
export interface IncidentCard {
  incident: Incident;
  severityText: string;
}

/** What incidents need from Slack; the Slack adapter is incident-slack.ts. */
export interface IncidentSlack {
  /** Creates a public channel named `name`, or `name-2`, `name-3`… when taken; returns its id and name. */
  createChannel(name: string): Promise<{ id: string; name: string }>;
  invite(channel: string, users: string[]): Promise<void>;
  /** Queues a post; posts to one channel land in the order they were queued. */
  post(channel: string, message: IncidentMessage): Promise<void>;
  /** Posts the incident's card (once per incident), waits until Slack has it, and returns its ts. */
  postCard(channel: string, card: IncidentCard): Promise<string>;
  /** The ts of the incident's card when Slack took it after postCard stopped waiting for it; else undefined. */
  lateCard(channel: string, incidentId: string): Promise<string | undefined>;
  /** Queues an edit of the posted card. */
  updateCard(channel: string, ts: string, card: IncidentCard): Promise<void>;
  /** A direct message to a user. */
  dm(user: string, message: IncidentMessage): Promise<void>;
  upload(file: {
    channel: string;
    filename: string;
    title: string;
    content: string;
    comment?: string;
  }): Promise<void>;
  /** A message as it is now (top level or in a thread) with its permalink; undefined when it is gone. */
  message(channel: string, ts: string): Promise<ChannelMessage | undefined>;
  /**
   * When `user` last posted in `channel` (top-level messages, since `since`, the newest few hundred read);
   * undefined when they did not.
   */
  lastPostBy(channel: string, user: string, since: Date): Promise<Date | undefined>;
}

/**
 * A message read back from a channel, for the timeline. `user` is absent for legacy bot messages, `permalink`
 * when Slack would not give one (the message is still worth recording).
 */
export interface ChannelMessage {
  ts: string;
  text: string;
  user: string | undefined;
  permalink: string | undefined;
}

/** Schedules an incident's status updates and escalation steps on time (the implementation is slots.ts). */
export interface IncidentSchedule {
  /** Makes sure every time something of the incident comes due has its job; harmless to repeat. */
  schedule(incidentId: string): Promise<void>;
}
