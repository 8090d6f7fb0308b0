/**
 * When triggers of one PagerDuty service become a storm: the first `ownCards` incidents first seen within
 * `windowMs` of each other get cards of their own; the next one starts a storm, and every incident of the
 * service first seen within `windowMs` of the storm's latest joins its one roll-up card, which lists the
 * newest `listed` and is edited at most every `editEveryMs` (Slack limits chat.update to about 50 a minute).
 * Times are PagerDuty's (occurred_at), so a backlog handled late rolls up the same way.
 */
export const STORM = { windowMs: 60_000, ownCards: 3, listed: 10, editEveryMs: 5_000 } as const;

/** Where a new incident's card goes. */
export type Placement =
  | { kind: 'own' }
  | { kind: 'start'; postedBefore: number }
  | { kind: 'join'; stormId: string };

/** Decides from the service's running storm, if any, and how many own cards its window already has. */
export function place(runningStormId: string | undefined, ownCardsInWindow: number): Placement {
  if (runningStormId !== undefined) return { kind: 'join', stormId: runningStormId };
  if (ownCardsInWindow >= STORM.ownCards) return { kind: 'start', postedBefore: ownCardsInWindow };
  return { kind: 'own' };
}
