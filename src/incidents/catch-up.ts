import type { Followup } from '../followups/followup.js';
import type { Incident, IncidentEvent } from './incident.js';

/**
 * What someone missed in an incident: what happened after `since`, their last message in its channel or
 * their last entry on its timeline (`basis`), or its declaration when they have neither.
 */
export interface CatchUp {
  incident: Incident;
  severityText: string;
  since: Date;
  basis: 'message' | 'timeline' | 'declaration';
  events: IncidentEvent[];
  /** Its open follow-ups; undefined when they could not be read. */
  followUps: Followup[] | undefined;
}

/**
 * Since when `actor` missed what happened: the latest of the incident's declaration, their last entry on its
 * timeline and their last message in its channel (`posted`), with which it is.
 */
export function missedSince(
  incident: Incident,
  events: IncidentEvent[],
  actor: string,
  posted: Date | undefined,
): Pick<CatchUp, 'since' | 'basis'> {
  const entry = events.filter((event) => event.actor === actor).at(-1)?.at;
  const [since, basis] = latest<CatchUp['basis']>([
    [incident.declared_at, 'declaration'],
    [entry, 'timeline'],
    [posted, 'message'],
  ]);
  return { since, basis };
}

/** The latest of some times (the first given wins a tie), with what it is; the first must be set. */
function latest<B>(times: [Date | undefined, B][]): [Date, B] {
  let best = times[0] as [Date, B];
  for (const [at, what] of times) if (at && at > best[0]) best = [at, what];
  return best;
}
