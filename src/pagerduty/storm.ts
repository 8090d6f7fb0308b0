/**
 * When triggers of one PagerDuty service become a storm (its rule, pagerduty.storm in ops.yml: see
 * storm-config.ts): the first `threshold` incidents first seen within `windowMs` of each other get cards of
 * their own; the next one starts a storm, and every incident of the service first seen within `windowMs` of
 * the storm's latest joins its one roll-up card, which lists the newest `listed` and is edited at most every
 * `editEveryMs` (Slack limits chat.update to about 50 a minute). Times are PagerDuty's (occurred_at), so a
 * backlog handled late rolls up the same way.
 */
export const STORM = { listed: 10, editEveryMs: 5_000 } as const;

/** Where a new incident's card goes. */
export type Placement =
  | { kind: 'own' }
  | { kind: 'start'; postedBefore: number }
  | { kind: 'join'; stormId: string };

/**
 * Decides from the service's running storm, if any, how many own cards its window already has, and how many
 * its rule allows.
 */
export function place(
  runningStormId: string | undefined,
  ownCardsInWindow: number,
  threshold: number,
): Placement {
  if (runningStormId !== undefined) return { kind: 'join', stormId: runningStormId };
  if (ownCardsInWindow >= threshold) return { kind: 'start', postedBefore: ownCardsInWindow };
  return { kind: 'own' };
}
