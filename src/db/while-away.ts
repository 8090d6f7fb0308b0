import { isPostgresUnreachable } from '../outages.js';

/**
 * Runs `work`, and again every `everyMs` while it fails because PostgreSQL cannot be reached (a restart, a
 * failover), for at most `forMs`; any other failure, or the last one, is thrown. For writes that record what
 * already happened elsewhere, which giving up on would misreport.
 */
export async function retryWhilePostgresAway<T>(
  work: () => Promise<T>,
  forMs: number,
  everyMs = 500,
): Promise<T> {
  const until = Date.now() + forMs;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (!isPostgresUnreachable(error) || Date.now() >= until) throw error;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}
