import { OpsError } from '../errors.js';
import type { Metrics } from '../http/metrics.js';
import { newId } from '../ids.js';
import type { Logger } from '../log.js';

export interface HandleDeps {
  log: Logger;
  metrics: Metrics;
}

/**
 * The one error handler of every Slack listener: a child logger per request, metrics by verb and outcome,
 * and on failure one sentence to the user with an error id that is also logged (with the stack if unexpected).
 */
export async function handle(
  deps: HandleDeps,
  verb: string,
  ids: Record<string, string | undefined>,
  reply: (text: string) => Promise<unknown>,
  work: (log: Logger) => Promise<void>,
): Promise<void> {
  const log = deps.log.child({ requestId: newId('req'), verb, ...ids });
  const stopTimer = deps.metrics.latency.startTimer({ verb });
  let outcome = 'ok';
  try {
    await work(log);
  } catch (error) {
    const errorId = newId('err');
    if (error instanceof OpsError) {
      outcome = error.code;
      log.info({ errorId, code: error.code, reason: error.message }, 'request refused');
    } else {
      outcome = 'error';
      log.error({ err: error, errorId }, 'request failed');
    }
    const sentence = error instanceof OpsError ? error.message : 'Something went wrong inside opsbot.';
    await reply(`${sentence} (error id ${errorId})`).catch((replyError: unknown) =>
      log.warn({ err: replyError, errorId }, 'could not tell the user about an error'),
    );
  } finally {
    stopTimer();
    deps.metrics.requests.inc({ verb, outcome });
  }
}
