import type { EscalationStep } from './escalation-config.js';
import type { Incident } from './incident.js';

/** What deciding which steps are due needs of an incident: its severity now and when it was declared. */
export type EscalatingIncident = Pick<Incident, 'severity' | 'declared_at'>;

/** Whether a step applies to an incident of this severity (a step naming no severities applies to all). */
export function stepApplies(step: Pick<EscalationStep, 'severities'>, severity: string): boolean {
  return step.severities === undefined || step.severities.includes(severity);
}

/**
 * When step `i` comes due for the incident as it is now; undefined when it does not apply to its severity, or
 * when it counts from a previous step that has not fired yet. `fired` maps a step to when it fired.
 */
export function dueAt(
  steps: readonly EscalationStep[],
  i: number,
  incident: EscalatingIncident,
  fired: ReadonlyMap<number, Date>,
): Date | undefined {
  const step = steps[i];
  if (!step || !stepApplies(step, incident.severity)) return undefined;
  const since = step.from === 'previous' ? previousFiring(steps, i, incident, fired) : incident.declared_at;
  return since === undefined ? undefined : new Date(since.getTime() + step.after);
}

/**
 * The steps to fire now, in order: not fired yet, applying to the incident's severity, and due. A step due
 * now counts as fired now for the steps after it, so `from: previous` with `after: 0m` fires in the same tick.
 */
export function dueSteps(
  steps: readonly EscalationStep[],
  incident: EscalatingIncident,
  fired: ReadonlyMap<number, Date>,
  now: Date,
): number[] {
  const firing = new Map(fired);
  const due: number[] = [];
  steps.forEach((_, i) => {
    if (firing.has(i)) return;
    const at = dueAt(steps, i, incident, firing);
    if (at === undefined || at > now) return;
    firing.set(i, now);
    due.push(i);
  });
  return due;
}

/** When the nearest earlier step that applies fired (undefined: not yet); the declaration when there is none. */
function previousFiring(
  steps: readonly EscalationStep[],
  i: number,
  incident: EscalatingIncident,
  fired: ReadonlyMap<number, Date>,
): Date | undefined {
  for (let j = i - 1; j >= 0; j--) {
    const earlier = steps[j];
    if (earlier && stepApplies(earlier, incident.severity)) return fired.get(j);
  }
  return incident.declared_at;
}
