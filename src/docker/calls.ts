import { z } from 'zod';
import { NotFoundError, OpsError, UnavailableError } from '../errors.js';
import type { DockerTarget } from '../targets/docker.js';

/** How long one Docker Engine API call may take before the action gives up on it. */
export const CALL_TIMEOUT_MS = 15_000;

/** What dockerode attaches to an error the Engine answered: its status and its `{ message }` body. */
const EngineError = z.object({
  statusCode: z.number(),
  json: z.object({ message: z.string() }).partial().nullish(),
});

/**
 * Runs one Engine API call about `subject` (e.g. `container ai-benchmark-web-1`) with a timeout, turning its
 * failures into one sentence: not found, refused, unreachable, or what the Engine said. At the timeout
 * `signal` is aborted: a call that passes it on (dockerode's `abortSignal`) has its request and response
 * destroyed, instead of a socket left open and read into nothing.
 */
export async function dockerCall<T>(
  target: DockerTarget,
  subject: string,
  call: (signal: AbortSignal) => Promise<T>,
  timeoutMs = CALL_TIMEOUT_MS,
): Promise<T> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new UnavailableError(
          `The Docker Engine at ${target.endpoint} did not answer about ${subject} within ${Math.ceil(timeoutMs / 1000)} s.`,
        ),
      );
      abort.abort();
    }, timeoutMs);
  });
  try {
    return await Promise.race([call(abort.signal), timeout]);
  } catch (error) {
    throw engineError(error, target, subject);
  } finally {
    clearTimeout(timer);
  }
}

/** The one sentence for a failed Engine call. */
export function engineError(error: unknown, target: DockerTarget, subject: string): Error {
  if (error instanceof OpsError) return error;
  const answered = EngineError.safeParse(error);
  if (!answered.success) {
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    return new UnavailableError(`The Docker Engine at ${target.endpoint} could not be reached: ${reason}.`);
  }
  const { statusCode } = answered.data;
  const said = answered.data.json?.message?.replace(/\.$/, '').slice(0, 200);
  if (statusCode === 404) return new NotFoundError(`Docker has no ${subject} (${target.endpoint}).`);
  if (statusCode === 401 || statusCode === 403) {
    return new UnavailableError(
      `The Docker Engine at ${target.endpoint} refused opsbot access to ${subject} (${statusCode})${said ? `: ${said}` : ''}.`,
    );
  }
  return new UnavailableError(
    `The Docker Engine at ${target.endpoint} answered ${statusCode} for ${subject}${said ? `: ${said}` : ''}.`,
  );
}
