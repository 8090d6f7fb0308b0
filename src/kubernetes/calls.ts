import { ApiException } from '@kubernetes/client-node';
import { z } from 'zod';
import { ConflictError, NotFoundError, UnavailableError } from '../errors.js';
import type { KubernetesTarget } from '../targets/kubernetes.js';

/** How long one Kubernetes API call may take before the action gives up on it. */
const CALL_TIMEOUT_MS = 15_000;

/** The `Status` object the API server answers errors with. */
const ApiStatus = z.object({
  message: z.string().optional(),
  reason: z.string().optional(),
  details: z.object({ causes: z.array(z.object({ field: z.string().optional() })).optional() }).optional(),
});

/** What a call may say about its own failures, beyond the common ones. */
export interface KubeCallOptions {
  /**
   * The sentence for a JSON patch whose `test` op failed: the API server answers 422 Invalid with no field
   * causes (a field that fails validation is named in its causes), and applies none of the patch.
   */
  testFailed?: string;
}

/**
 * Runs one API call about `subject` (e.g. `deployment api-gateway`) with a timeout, turning its failures
 * into one sentence: not found, refused (403), unreachable, or what the API server said.
 */
export async function kubeCall<T>(
  target: KubernetesTarget,
  subject: string,
  call: () => Promise<T>,
  options: KubeCallOptions = {},
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
    throw kubeError(error, target, subject, options);
  } finally {
    clearTimeout(timer);
  }
}

function kubeError(
  error: unknown,
  target: KubernetesTarget,
  subject: string,
  options: KubeCallOptions,
): Error {
  const where = `namespace ${target.namespace} (context ${target.context})`;
  if (!(error instanceof ApiException)) {
    if (error instanceof UnavailableError) return error;
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return new UnavailableError(
      `The Kubernetes API (context ${target.context}) could not be reached: ${reason}.`,
    );
  }
  const status = apiStatus(error.body);
  const said = status?.message?.replace(/\.$/, '').slice(0, 200);
  if (error.code === 404) return new NotFoundError(`Kubernetes has no ${subject} in ${where}.`);
  if (error.code === 401 || error.code === 403) {
    return new UnavailableError(
      `Kubernetes refused opsbot access to ${subject} in ${where} (${error.code})${said ? `: ${said}` : ''}.`,
    );
  }
  if (options.testFailed && error.code === 422 && isPatchNotApplied(status)) {
    return new ConflictError(options.testFailed);
  }
  return new UnavailableError(
    `Kubernetes answered ${error.code} for ${subject} in ${where}${said ? `: ${said}` : ''}.`,
  );
}

/** The 422 the API server answers when a JSON patch does not apply (a failed `test`), not a validation error. */
function isPatchNotApplied(status: z.infer<typeof ApiStatus> | undefined): boolean {
  const causes = status?.details?.causes ?? [];
  return status?.reason === 'Invalid' && causes.every((cause) => !cause.field);
}

/** The body as a Status object, when it is one. */
function apiStatus(body: unknown): z.infer<typeof ApiStatus> | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const status = ApiStatus.safeParse(value);
  return status.success ? status.data : undefined;
}
