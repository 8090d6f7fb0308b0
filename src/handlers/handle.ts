import { OpsError } from '../errors.js';
import type { Metrics } from '../http/metrics.js';
import { newId } from '../ids.js';
import type { Logger } from '../log.js';
import { isRedisUnreachable, type Outages, postgresFailure, type Unavailable } from '../outages.js';

export interface HandleDeps {
  log: Logger;
  metrics: Metrics;
  /** Counts the executions under way, for those who must wait until opsbot is quiet (the console). */
  inFlight: InFlight;
  /**
   * PostgreSQL's and Redis's outages, and opsbot's pool being busy: a request that fails on one is told so, and
   * it is logged once.
   */
  outages?: Outages;
}

/**
 * How many handler executions are under way. Bolt acks before a listener runs, so a request's answer alone does
 * not say its work is done: the console waits for this to be 0 before it reads the next piped line.
 */
export class InFlight {
  private running = 0;

  /** The executions started and not yet finished. */
  count(): number {
    return this.running;
  }

  /** Runs `work`, counted while it runs, whether it returns or throws. */
  async around<T>(work: () => Promise<T>): Promise<T> {
    this.running += 1;
    try {
      return await work();
    } finally {
      this.running -= 1;
    }
  }
}

/**
 * The one error handler of every Slack listener: a child logger per request, metrics by verb and outcome,
 * and on failure one sentence to the user with an error id that is also logged (with the stack if unexpected).
 * A failure because PostgreSQL or Redis is away, or because opsbot's pool is busy, gets that outage's (or the
 * busy pool's) sentence, and is logged with it (once), not per request.
 */
export async function handle(
  deps: HandleDeps,
  verb: string,
  ids: Record<string, string | undefined>,
  reply: (text: string) => Promise<unknown>,
  work: (log: Logger) => Promise<void>,
): Promise<void> {
  return deps.inFlight.around(() => handleOnce(deps, verb, ids, reply, work));
}

async function handleOnce(
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
    const outage = error instanceof OpsError ? undefined : await outageOf(deps.outages, error);
    if (error instanceof OpsError) {
      outcome = error.code;
      log.info({ errorId, code: error.code, reason: error.message }, 'request refused');
    } else if (outage) {
      outcome = 'unavailable';
      log.debug(
        { errorId, dependency: outage.name },
        'request failed: a dependency is away or opsbot is busy',
      );
    } else {
      outcome = 'error';
      log.error({ err: error, errorId }, 'request failed');
    }
    const sentence =
      error instanceof OpsError ? error.message : (outage?.sentence ?? 'Something went wrong inside opsbot.');
    await reply(`${sentence} (error id ${errorId})`).catch((replyError: unknown) =>
      log.warn({ err: replyError, errorId }, 'could not tell the user about an error'),
    );
  } finally {
    stopTimer();
    deps.metrics.requests.inc({ verb, outcome });
  }
}

/**
 * The outage (or busy pool) an unexpected error is part of, if any (counted there); a target's connection error
 * is none.
 */
async function outageOf(outages: Outages | undefined, error: unknown): Promise<Unavailable | undefined> {
  if (!outages) return undefined;
  if (isRedisUnreachable(error)) {
    outages.redis.failed(error);
    return outages.redis;
  }
  return postgresFailure(outages, error);
}
