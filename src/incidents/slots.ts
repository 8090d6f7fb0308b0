import type { EscalationStep } from './escalation-config.js';
import { dueAt } from './escalation-plan.js';
import type { EscalationStore } from './escalation-store.js';
import type { Incident } from './incident.js';
import type { IncidentSchedule } from './ports.js';
import type { IncidentStore } from './store.js';

/**
 * When an open incident next needs a look, earliest first and each time once: its next status update, each
 * escalation step not fired yet whose time can be told now (a `from: previous` step waiting for its previous
 * one is told when that one fires), and each page still to be tried. Nothing for a resolved incident.
 */
export function slotTimes(
  steps: readonly EscalationStep[],
  incident: Pick<Incident, 'severity' | 'declared_at' | 'next_status_at' | 'resolved_at'>,
  fired: ReadonlyMap<number, Date>,
  pages: readonly Date[],
): Date[] {
  if (incident.resolved_at) return [];
  const times = [incident.next_status_at, ...pages];
  steps.forEach((_, i) => {
    const at = fired.has(i) ? undefined : dueAt(steps, i, incident, fired);
    if (at) times.push(at);
  });
  return [...new Set(times.map((time) => time.getTime()))].sort((a, b) => a - b).map((ms) => new Date(ms));
}

export interface IncidentSlotsDeps {
  steps: readonly EscalationStep[];
  store: Pick<IncidentStore, 'get' | 'open'>;
  escalations: Pick<EscalationStore, 'fired' | 'pendingPages'>;
  /** Adds the incident's job due at `at`; adding one that is already there changes nothing. */
  add(incidentId: string, at: Date): Promise<void>;
}

/**
 * Gives an incident a delayed job for every time something of it comes due (slotTimes), so status updates,
 * nudges, escalation steps and pages are looked at on time rather than at a tick. The jobs are keyed by
 * incident and time, so any number of processes may schedule the same incident.
 */
export class IncidentSlots implements IncidentSchedule {
  constructor(private readonly deps: IncidentSlotsDeps) {}

  async schedule(incidentId: string): Promise<void> {
    const incident = await this.deps.store.get(incidentId);
    if (incident) await this.scheduleAll([incident]);
  }

  /** The safety sweep: every open incident's jobs again, in case Redis lost them. */
  async scheduleOpen(): Promise<void> {
    await this.scheduleAll(await this.deps.store.open());
  }

  private async scheduleAll(incidents: Incident[]): Promise<void> {
    const open = incidents.filter((incident) => !incident.resolved_at);
    if (open.length === 0) return;
    const fired = await this.deps.escalations.fired(open.map((incident) => incident.id));
    const paging = this.deps.steps.some((step) => step.page);
    for (const incident of open) {
      const pages = paging ? await this.deps.escalations.pendingPages(incident.id) : [];
      const times = slotTimes(this.deps.steps, incident, fired.get(incident.id) ?? new Map(), pages);
      for (const at of times) await this.deps.add(incident.id, at);
    }
  }
}
