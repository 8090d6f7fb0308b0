import { Writable } from 'node:stream';
import type { V1Status } from '@kubernetes/client-node';
import { z } from 'zod';
import { UnavailableError } from '../errors.js';
import type { KubernetesTarget } from '../targets/kubernetes.js';

/** How a command run through the exec API ended. */
export type ExecOutcome =
  | { ended: 'exited'; code: number }
  | { ended: 'timed-out' }
  /** Kubernetes could not run it (no such executable, ...), or the session broke before an exit code. */
  | { ended: 'failed'; message: string };

/** One command to run in one container: argv as is (no shell), its output handed over as it comes. */
export interface ExecRequest {
  pod: string;
  container: string;
  argv: readonly string[];
  timeoutMs: number;
  /** A chunk of stdout or stderr, as it came. */
  output(chunk: Buffer): void;
}

/** The Status the API server sends on channel 3 when the command ends (exec protocol v4 and v5). */
const ExecStatus = z.object({
  status: z.string().optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  details: z
    .object({
      causes: z.array(z.object({ reason: z.string().optional(), message: z.string().optional() })).optional(),
    })
    .optional(),
});

/** What a refused or failed WebSocket connection reports (an Error, or ws's ErrorEvent). */
const WithMessage = z.object({ message: z.string() });

/**
 * Runs argv in a pod's container over the exec API's WebSocket (stdout and stderr, no stdin, no TTY) and
 * waits for its exit code. At the timeout the session is closed. The exec API has no kill: closing the
 * stream ends the session and the process's stdout and stderr, but a process that ignores its closed
 * output (or is not writing) may keep running inside the container until it ends by itself.
 */
export function execInPod(target: KubernetesTarget, request: ExecRequest): Promise<ExecOutcome> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let socket: { close(): void } | undefined;
    const settle = (end: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      end();
      socket?.close();
    };
    const timer = setTimeout(() => settle(() => resolve({ ended: 'timed-out' })), request.timeoutMs);
    target.exec
      .exec(
        target.namespace,
        request.pod,
        request.container,
        [...request.argv],
        sink(request.output),
        sink(request.output),
        null,
        false,
        (status) => settle(() => resolve(outcomeOf(status))),
      )
      .then(
        (connection) => {
          socket = connection;
          if (settled) {
            connection.close();
            return;
          }
          connection.once('close', () =>
            settle(() =>
              resolve({
                ended: 'failed',
                message: 'the exec session closed before the command reported an exit code',
              }),
            ),
          );
        },
        (error: unknown) => settle(() => reject(execError(error, target, request.pod))),
      );
  });
}

/** A stream that hands every chunk on; anything after the end (after the exit status) is dropped. */
function sink(output: (chunk: Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      output(chunk);
      done();
    },
  }).on('error', () => undefined);
}

/** Exit code 0 for Success; the ExitCode cause of NonZeroExitCode; else what the API server said. */
function outcomeOf(status: V1Status): ExecOutcome {
  const parsed = ExecStatus.safeParse(status);
  if (!parsed.success) {
    return { ended: 'failed', message: 'the exec session ended with a status opsbot cannot read' };
  }
  const { data } = parsed;
  if (data.status === 'Success') return { ended: 'exited', code: 0 };
  const code = data.details?.causes?.find((cause) => cause.reason === 'ExitCode')?.message;
  if (data.reason === 'NonZeroExitCode' && code !== undefined && /^\d+$/.test(code)) {
    return { ended: 'exited', code: Number(code) };
  }
  const said = (data.message ?? '').split('\n')[0]?.replace(/\.$/, '').slice(0, 200);
  return { ended: 'failed', message: said || 'Kubernetes could not run the command' };
}

/** A session that never opened, in one sentence; 403 is the service account lacking pods/exec. */
function execError(error: unknown, target: KubernetesTarget, pod: string): UnavailableError {
  const parsed = WithMessage.safeParse(error);
  const reason = (parsed.success ? parsed.data.message : String(error)).split('\n')[0]?.replace(/\.$/, '');
  const hint = /\b403\b/.test(reason ?? '')
    ? ' (opsbot may need the pods/exec permission in this namespace)'
    : '';
  return new UnavailableError(
    `Kubernetes did not open an exec session in pod ${pod} in namespace ${target.namespace} (context ${target.context}): ${reason}${hint}.`,
  );
}
