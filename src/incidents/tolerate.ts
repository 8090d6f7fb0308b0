import type { Logger } from '../log.js';

/**
 * Runs a step an incident can do without (an invite, a post, a read of Slack): its failure is logged as `could
 * not <what>` and gives undefined, so the incident's own change still stands.
 */
export async function tolerate<T>(log: Logger, what: string, step: () => Promise<T>): Promise<T | undefined> {
  try {
    return await step();
  } catch (error) {
    log.error({ err: error }, `could not ${what}`);
    return undefined;
  }
}
