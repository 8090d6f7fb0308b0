import type { ServiceHealth } from '../health/check-service.js';
import type { Logger } from '../log.js';
import type { Incident } from './incident.js';
import { nudgeMessage, statusUpdateMessage } from './messages.js';
import type { IncidentSlack } from './ports.js';
import type { IncidentService } from './service.js';
import type { IncidentStore } from './store.js';

export interface CadenceDeps {
  store: IncidentStore;
  incidents: Pick<IncidentService, 'statusEvery' | 'severityText'>;
  slack: Pick<IncidentSlack, 'post'>;
  /** Runs a service's health checks now. */
  health(service: string): Promise<ServiceHealth>;
  log: Logger;
}

/**
 * One tick of the incident cadence: every status update that is due (each slot claimed by compare-and-set,
 * so it is posted once however many processes tick) and the commander's nudge when no human update came since
 * the previous slot (escalation steps are escalation.ts's). Resolved incidents are left alone. With `only`,
 * just that incident's (its slot's job, src/incidents/slot-queue.ts).
 */
export async function cadenceTick(deps: CadenceDeps, now = new Date(), only?: string): Promise<void> {
  for (const due of only === undefined ? await deps.store.due(now) : await dueOne(deps, only, now)) {
    const claimed = await deps.store.claimSlot(
      due.id,
      due.next_status_at,
      deps.incidents.statusEvery(due.severity),
      now,
    );
    if (!claimed) continue;
    await step(deps, `post the status update of ${due.id}`, () =>
      statusUpdate(deps, claimed.incident, claimed.previous, now),
    );
  }
}

/** The incident, when it is open and its status update is due. */
async function dueOne(deps: CadenceDeps, id: string, now: Date): Promise<Incident[]> {
  const incident = await deps.store.get(id);
  return incident && !incident.resolved_at && incident.next_status_at <= now ? [incident] : [];
}

async function statusUpdate(deps: CadenceDeps, incident: Incident, previous: Date, now: Date): Promise<void> {
  const actions = (await deps.store.events(incident.id, previous))
    .filter((event) => event.kind === 'action')
    .map((event) => event.text);
  const health = await Promise.all(
    incident.services.map(async (service) => ({ service, health: await deps.health(service) })),
  );
  const severityText = deps.incidents.severityText(incident.severity);
  await deps.slack.post(
    incident.channel_id,
    statusUpdateMessage({ incident, severityText, actions, health, now }),
  );
  const quiet = !incident.last_human_update_at || incident.last_human_update_at < previous;
  const snoozed = incident.nudge_snoozed_until !== null && incident.nudge_snoozed_until > now;
  if (quiet && !snoozed) await deps.slack.post(incident.channel_id, nudgeMessage(incident));
}

async function step(deps: CadenceDeps, what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    deps.log.error({ err: error }, `could not ${what}`);
  }
}
