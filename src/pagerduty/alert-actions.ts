import type { OpsConfig } from '../config/ops-config.js';
import { ConflictError, NotFoundError, UserError } from '../errors.js';
import type { Incident } from '../incidents/incident.js';
import type { IncidentService } from '../incidents/service.js';
import type { Alert, Declared } from './alert.js';
import type { AlertStore } from './alert-store.js';
import type { PagerDutyAsUser, PagerDutyChange } from './as-user.js';
import type { DeclarationStore } from './declaration-store.js';
import { suggestedActions } from './mapping.js';
import type { AlertCards } from './ports.js';

export interface AlertActionsDeps {
  store: Pick<AlertStore, 'find' | 'get' | 'underServiceLock'>;
  /** Who declares the opsbot incident for a PagerDuty incident, and the link to it. */
  declarations: Pick<DeclarationStore, 'link' | 'declaration' | 'claimDeclaration' | 'releaseDeclaration'>;
  asUser: PagerDutyAsUser;
  incidents: Pick<IncidentService, 'declare'>;
  /** The cards: redrawn once an incident is declared, and the buttons' outcomes said in their threads. */
  cards: Pick<AlertCards, 'update' | 'say'>;
  /** The services' actions, which the card suggests. */
  config: Pick<OpsConfig, 'services'>;
}

/**
 * What the buttons of an alert card do: PagerDuty changes as the person who pressed them, and declaring an
 * opsbot incident linked to the PagerDuty one. Each is said in the card's thread. A PagerDuty change shows on
 * the card when PagerDuty's webhook reports it; a declared incident at once.
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

  /** The alert a Declare incident button names, unless an opsbot incident is (being) declared for it. */
  async declarable(id: string): Promise<Alert & { opsbot_service: string }> {
    const alert = await this.alert(id);
    const declared = await this.deps.declarations.declaration(alert.id);
    if (declared) throw new ConflictError(alreadyDeclared(alert, declared));
    return alert;
  }

  /**
   * Declares the opsbot incident and links it: the PagerDuty incident's later events go on its timeline, and
   * its card names the incident instead of offering Declare. The PagerDuty incident is claimed first, so two
   * people declaring at once make one incident.
   */
  async declare(actor: string, id: string, severity: string, title: string): Promise<Incident> {
    const alert = await this.alert(id);
    const declared = await this.deps.declarations.claimDeclaration(alert.id, actor);
    if (declared) throw new ConflictError(alreadyDeclared(alert, declared));
    let incident: Incident;
    try {
      incident = await this.deps.incidents.declare({
        actor,
        severity,
        title,
        services: [alert.opsbot_service],
      });
    } catch (error) {
      // Left in place, the claim would only expire: give it up so Declare works again at once.
      await this.deps.declarations.releaseDeclaration(alert.id, actor).catch(() => undefined);
      throw error;
    }
    const linked = await this.deps.declarations.link(alert.id, incident.id, actor);
    if (!linked) {
      const other = `someone linked PagerDuty ${alert.id} to another opsbot incident meanwhile`;
      throw new ConflictError(`${incident.id} is declared, but ${other}.`);
    }
    await this.redrawCard(linked);
    await this.sayOnCard(
      alert,
      `<@${actor}> declared ${incident.id} (${incident.severity}): <#${incident.channel_id}>.`,
    );
    return incident;
  }

  /**
   * Queues an edit of the incident's own card (a rolled-up incident has none to declare from), as stored now: under
   * the service's lock, like the event worker's edits, so the outbox gets them in the order of the state.
   */
  private async redrawCard(alert: Alert): Promise<void> {
    if (!alert.card_key) return;
    await this.deps.store.underServiceLock(alert.service_id, async (tx) => {
      const now = await this.deps.store.get(tx, alert.id);
      if (!now?.channel || !now.card_key) return;
      const suggested = suggestedActions(this.deps.config, now.opsbot_service);
      const ref = { key: now.card_key, ts: now.card_ts };
      await this.deps.cards.update(now.channel, ref, { kind: 'alert', alert: now, suggested });
    });
  }

  private async sayOnCard(alert: Alert, text: string): Promise<void> {
    if (!alert.channel || !alert.card_key) return;
    await this.deps.cards.say(alert.channel, { key: alert.card_key, ts: alert.card_ts }, text);
  }
}

/** One sentence: the opsbot incident already declared for the PagerDuty incident, or who is declaring one. */
function alreadyDeclared(alert: Alert, declared: Declared): string {
  const name = `PagerDuty ${alert.number !== null ? `#${alert.number}` : alert.id}`;
  return declared.kind === 'linked'
    ? `${name} is already declared as ${declared.incidentId} in <#${declared.channel}>.`
    : `<@${declared.by}> is declaring an incident for ${name} right now; the card will name it.`;
}
