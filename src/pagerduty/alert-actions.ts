import { ConflictError, NotFoundError, UserError } from '../errors.js';
import type { Incident } from '../incidents/incident.js';
import type { IncidentService } from '../incidents/service.js';
import type { SlackOutbox } from '../slack/outbox/outbox.js';
import type { Alert } from './alert.js';
import type { AlertStore } from './alert-store.js';
import type { PagerDutyAsUser, PagerDutyChange } from './as-user.js';

export interface AlertActionsDeps {
  store: Pick<AlertStore, 'find' | 'link'>;
  asUser: PagerDutyAsUser;
  incidents: Pick<IncidentService, 'declare'>;
  outbox: Pick<SlackOutbox, 'enqueue'>;
}

/**
 * What the buttons of an alert card do: PagerDuty changes as the person who pressed them, and declaring an
 * opsbot incident linked to the PagerDuty one. Each is said in the card's thread; the card itself changes
 * when PagerDuty's webhook reports the new state.
 */
export class AlertActions {
  constructor(private readonly deps: AlertActionsDeps) {}

  /** The alert a button names, with the opsbot service its PagerDuty service is mapped to. */
  async alert(id: string): Promise<Alert & { opsbot_service: string }> {
    const alert = await this.deps.store.find(id);
    if (!alert) throw new NotFoundError('opsbot has no record of that PagerDuty incident.');
    if (!alert.opsbot_service) {
      throw new UserError(
        `PagerDuty service ${alert.service_name ?? alert.service_id} is not mapped to an opsbot service (pagerduty.services), so opsbot cannot check your role; act on it in PagerDuty.`,
      );
    }
    return { ...alert, opsbot_service: alert.opsbot_service };
  }

  async change(actor: string, id: string, change: PagerDutyChange): Promise<string> {
    const alert = await this.alert(id);
    const line = await this.deps.asUser.change(actor, alert.opsbot_service, alert.id, change);
    await this.sayOnCard(
      alert,
      change.kind === 'note' ? `${line}\n> ${change.content.trim().slice(0, 500)}` : line,
    );
    return line;
  }

  /** Declares the opsbot incident and links it: the PagerDuty incident's later events go on its timeline. */
  async declare(actor: string, id: string, severity: string, title: string): Promise<Incident> {
    const alert = await this.alert(id);
    if (alert.opsbot_incident_id) {
      throw new ConflictError(
        `That PagerDuty incident already has opsbot incident ${alert.opsbot_incident_id}.`,
      );
    }
    const incident = await this.deps.incidents.declare({
      actor,
      severity,
      title,
      services: [alert.opsbot_service],
    });
    if (!(await this.deps.store.link(alert.id, incident.id))) {
      throw new ConflictError('Someone linked that PagerDuty incident to another opsbot incident meanwhile.');
    }
    await this.sayOnCard(
      alert,
      `<@${actor}> declared ${incident.id} (${incident.severity}): <#${incident.channel_id}>.`,
    );
    return incident;
  }

  private async sayOnCard(alert: Alert, text: string): Promise<void> {
    if (!alert.channel || !alert.card_key) return;
    const thread = alert.card_ts ? { ts: alert.card_ts } : { key: alert.card_key };
    await this.deps.outbox.enqueue({ kind: 'post', channel: alert.channel, thread, content: { text } });
  }
}
