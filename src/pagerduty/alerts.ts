import type { Pool, PoolClient } from 'pg';
import type { OpsConfig } from '../config/ops-config.js';
import { withTransaction } from '../db/transaction.js';
import type { NewEvent } from '../incidents/store.js';
import type { Logger } from '../log.js';
import type { Alert } from './alert.js';
import type { AlertStore, Snapshot } from './alert-store.js';
import { alertChannel, mappedService, suggestedActions } from './mapping.js';
import type { AlertCard, AlertCards } from './ports.js';
import { place, STORM } from './storm.js';
import { redrawStorm } from './storm-card.js';
import { stormRule } from './storm-config.js';
import { eventFromPayload, incidentIdOf, type PagerDutyEvent } from './webhook-event.js';
import type { WebhookStore } from './webhook-store.js';

export interface AlertsDeps {
  pool: Pool;
  events: Pick<WebhookStore, 'claim' | 'markProcessed'>;
  store: AlertStore;
  cards: AlertCards;
  /** Queues one edit of a storm's roll-up card in `delayMs`; `since` names the edit it follows. */
  scheduleStormEdit(stormId: string, since: string, delayMs: number): Promise<void>;
  config: Pick<OpsConfig, 'workspace' | 'pagerduty' | 'services'>;
  /** Writes an event of a PagerDuty incident on the timeline of the opsbot incident it is linked to. */
  timeline(tx: PoolClient, incidentId: string, entry: NewEvent): Promise<void>;
  log: Logger;
}

/**
 * Handles stored PagerDuty events in worker processes: keeps pagerduty_incidents current and each incident's
 * card (or its storm's roll-up card) in step. One event is one transaction under its service's lock, and the
 * cards are queued in the Slack outbox before it commits, so the outbox gets them in the order of the state
 * they show; a card queued by a transaction that then failed is queued again, by key, on the retry.
 */
export class PagerDutyAlerts {
  constructor(private readonly deps: AlertsDeps) {}

  /** Handles one stored event once; a redelivered job finds it handled and does nothing. */
  async handle(eventRowId: string): Promise<void> {
    await withTransaction(this.deps.pool, async (tx) => {
      const claimed = await this.deps.events.claim(tx, eventRowId);
      if (!claimed) return;
      let event: PagerDutyEvent | undefined;
      try {
        event = eventFromPayload(claimed.payload);
      } catch (error) {
        // Checked when it arrived, so only a change of schema since can do this: retrying would not help.
        this.deps.log.error(
          { err: error, eventRowId },
          'skipped a stored PagerDuty event opsbot cannot read',
        );
      }
      if (event) await this.apply(tx, event);
      await this.deps.events.markProcessed(tx, eventRowId);
    });
  }

  /** A scheduled edit of a storm's roll-up card: shows it as it is now. */
  async editStorm(stormId: string): Promise<void> {
    await withTransaction(this.deps.pool, async (tx) => {
      const storm = await this.deps.store.getStorm(tx, stormId);
      if (!storm) return;
      await this.deps.store.lockService(tx, storm.service_id);
      await this.showStorm(tx, stormId, 'now');
    });
  }

  private async apply(tx: PoolClient, event: PagerDutyEvent): Promise<void> {
    const { store, log } = this.deps;
    const incidentId = incidentIdOf(event);
    const serviceId =
      event.type === 'incident.annotated'
        ? (await store.get(tx, incidentId))?.service_id
        : event.incident.service.id;
    if (!serviceId) {
      log.info({ incidentId, eventType: event.type }, 'a note on a PagerDuty incident opsbot has not seen');
      return;
    }
    await store.lockService(tx, serviceId);
    const result =
      event.type === 'incident.annotated'
        ? await store.note(
            tx,
            incidentId,
            { content: event.note.content, by: event.agent ?? null, at: event.occurredAt.toISOString() },
            event.occurredAt,
          )
        : await store.apply(tx, this.snapshot(event));
    if (!result) return;
    const { alert, changed } = result;
    if (alert.opsbot_incident_id) {
      await this.deps.timeline(tx, alert.opsbot_incident_id, {
        kind: 'pagerduty',
        at: event.occurredAt,
        text: timelineText(event),
        source: `pagerduty:${event.id}`,
      });
    }
    if (alert.storm_id) {
      if (changed) await this.showStorm(tx, alert.storm_id);
    } else if (alert.card_key) {
      if (changed) await this.showOwn(tx, alert);
    } else if (alert.status !== 'resolved') {
      // Seen first now (usually its trigger): a card of its own, or a storm's.
      await this.placeCard(tx, alert);
    }
  }

  private snapshot(event: Exclude<PagerDutyEvent, { type: 'incident.annotated' }>): Snapshot {
    const { incident } = event;
    return {
      id: incident.id,
      number: incident.number ?? null,
      title: incident.title,
      status: incident.status,
      urgency: incident.urgency ?? null,
      priority: incident.priority?.summary ?? null,
      serviceId: incident.service.id,
      serviceName: incident.service.summary ?? null,
      opsbotService: mappedService(this.deps.config, incident.service.id),
      assignees: incident.assignees.map((person) => ({ id: person.id, name: person.summary ?? person.id })),
      htmlUrl: incident.html_url,
      escalationPolicyId: incident.escalation_policy?.id ?? null,
      change: { type: event.type, by: event.agent ?? null, at: event.occurredAt.toISOString() },
      at: event.occurredAt,
    };
  }

  private async placeCard(tx: PoolClient, alert: Alert): Promise<void> {
    const { store, config, log } = this.deps;
    const at = alert.first_seen_at;
    const rule = stormRule(config, alert.service_id);
    const running = await store.activeStorm(tx, alert.service_id, at, rule.windowMs);
    const own = running ? 0 : await store.ownCardsInWindow(tx, alert.service_id, at, rule.windowMs);
    const placement = place(running?.id, own, rule.threshold);
    const channel = alertChannel(config, alert.service_id);
    if (placement.kind === 'own') {
      const placed = await store.ownCard(tx, alert.id, channel, `pagerduty:${alert.id}`);
      await this.deps.cards.post(channel, `pagerduty:${alert.id}`, this.card(placed));
    } else if (placement.kind === 'join') {
      await store.growStorm(tx, alert.id, placement.stormId, at);
      await this.showStorm(tx, placement.stormId);
    } else {
      const storm = await store.startStorm(tx, alert.id, {
        serviceId: alert.service_id,
        channel,
        at,
        postedBefore: placement.postedBefore,
      });
      log.warn(
        { serviceId: alert.service_id, stormId: storm.id },
        'PagerDuty alert storm: rolling up its cards',
      );
      const view = await store.stormView(tx, storm.id, STORM.listed);
      await this.deps.cards.post(channel, storm.card_key, { kind: 'storm', view, rule });
    }
  }

  /** Edits the incident's own card, learning its ts first when Slack has given one. */
  private async showOwn(tx: PoolClient, alert: Alert): Promise<void> {
    if (!alert.channel || !alert.card_key) return;
    let ts = alert.card_ts;
    if (!ts) {
      ts = (await this.deps.cards.postedTs(alert.channel, alert.card_key)) ?? null;
      if (ts) await this.deps.store.setCardTs(tx, alert.id, ts);
    }
    await this.deps.cards.update(alert.channel, { key: alert.card_key, ts }, this.card(alert));
  }

  /**
   * Edits a storm's roll-up card with its counts and newest incidents as they are now; within `editEveryMs`
   * of its last edit, schedules one edit for when that interval is over instead.
   */
  private async showStorm(tx: PoolClient, stormId: string, when: 'now' | 'spaced' = 'spaced'): Promise<void> {
    const { store } = this.deps;
    if (when === 'spaced') {
      const due = await store.stormEditDue(tx, stormId, STORM.editEveryMs);
      if (due.waitMs > 0) {
        await this.deps.scheduleStormEdit(stormId, due.since, due.waitMs);
        return;
      }
    }
    await redrawStorm(tx, this.deps, stormId);
  }

  /** The incident's own card: the alert, with the actions of its mapped opsbot service. */
  private card(alert: Alert): AlertCard {
    return { kind: 'alert', alert, suggested: suggestedActions(this.deps.config, alert.opsbot_service) };
  }
}

/** `PagerDuty: acknowledged by Alice Smith`, `PagerDuty note by Bob: …`. */
function timelineText(event: PagerDutyEvent): string {
  const by = event.agent ? ` by ${event.agent}` : '';
  if (event.type === 'incident.annotated') return `PagerDuty note${by}: ${event.note.content}`.slice(0, 3000);
  return `PagerDuty #${event.incident.number ?? event.incident.id} ${event.type.replace('incident.', '')}${by}.`;
}
