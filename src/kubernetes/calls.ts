import { ApiException } from '@kubernetes/client-node';
import { z } from 'zod';
import { NotFoundError, UnavailableError } from '../errors.js';
import type { KubernetesTarget } from '../targets/kubernetes.js';

/** How long one Kubernetes API call may take before the action gives up on it. */
const CALL_TIMEOUT_MS = 15_000;

/** The `Status` object the API server answers errors with. */
const ApiStatus = z.object({ message: z.string().optional(), reason: z.string().optional() });

/**
 * Runs one API call about `subject` (e.g. `deployment api-gateway`) with a timeout, turning its failures
 * into one sentence: not found, refused (403), unreachable, or what the API server said.
 */
export async function kubeCall<T>(
  target: KubernetesTarget,
  subject: string,
  call: () => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new UnavailableError(
            `The Kubernetes API (context ${target.context}) did not answer within ${CALL_TIMEOUT_MS / 1000} s.`,
          ),
        ),
      CALL_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([call(), timeout]);
  } catch (error) {
    throw kubeError(error, target, subject);
  } finally {
    clearTimeout(timer);
  }
}

function kubeError(error: unknown, target: KubernetesTarget, subject: string): Error {
  const where = `namespace ${target.namespace} (context ${target.context})`;
  if (!(error instanceof ApiException)) {
    if (error instanceof UnavailableError) return error;
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return new UnavailableError(
      `The Kubernetes API (context ${target.context}) could not be reached: ${reason}.`,
    );
  }
  const said = statusMessage(error.body);
  if (error.code === 404) return new NotFoundError(`Kubernetes has no ${subject} in ${where}.`);
  if (error.code === 401 || error.code === 403) {
    return new UnavailableError(
      `Kubernetes refused opsbot access to ${subject} in ${where} (${error.code})${said ? `: ${said}` : ''}.`,
    );
  }
  return new UnavailableError(
    `Kubernetes answered ${error.code} for ${subject} in ${where}${said ? `: ${said}` : ''}.`,
  );
}

/** The API server's own message, when the body is a Status object. */
function statusMessage(body: unknown): string | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const status = ApiStatus.safeParse(value);
  const message = status.success ? status.data.message : undefined;
  return message ? message.replace(/\.$/, '').slice(0, 200) : undefined;
}
