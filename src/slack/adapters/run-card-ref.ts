import type { Run } from '../../runs/run.js';
import type { MessageRef } from '../transport/outbox/message.js';

/**
 * The outbox key a run's card is posted under. Migration 0023 copies the card's ts into the run's
 * `message_ts` once Slack took it; keep both in step.
 */
export const runCardKey = (runId: string): string => `run:${runId}`;

/**
 * The run's card: by its ts once known, else by its key, so edits and thread posts made before Slack took
 * the card (a run queued while Slack is slow) go out after it, in order.
 */
export function cardRef(run: Run): MessageRef {
  return run.message_ts ? { ts: run.message_ts } : { key: runCardKey(run.id) };
}
