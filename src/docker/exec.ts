import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { OutputStream } from '../actions/types.js';
import { UnavailableError } from '../errors.js';
import type { DockerTarget } from '../targets/docker.js';
import { dockerCall, engineError } from './calls.js';
import type { ComposeContainer } from './containers.js';

/** GET /exec/{id}/json, the fields opsbot reads. */
const ExecState = z.object({ Running: z.boolean(), ExitCode: z.number().nullable() });

/** Right after the output ends the Engine may still report the exec running: asked again this often, this many times. */
const SETTLE_EVERY_MS = 100;
const SETTLE_TRIES = 20;

/** How an exec ended: its exit code, or still running when its time was up. */
export type ExecEnd = { exitCode: number } | { timedOut: true };

/**
 * Runs `argv` in `container` as `docker-compose exec -T` does, without a shell: POST /containers/{id}/exec,
 * POST /exec/{id}/start (the Engine answers with stdout and stderr multiplexed in one stream, demuxed into
 * `output` as it comes), then GET /exec/{id}/json for the exit code.
 */
export async function execInContainer(
  target: DockerTarget,
  container: ComposeContainer,
  argv: readonly string[],
  output: OutputStream,
  timeoutMs: number,
): Promise<ExecEnd> {
  const subject = `container ${container.name}`;
  const deadline = Date.now() + timeoutMs;
  const exec = await dockerCall(target, subject, (abortSignal) =>
    target.docker.getContainer(container.id).exec({
      Cmd: [...argv],
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      abortSignal,
    }),
  );
  const stream = await dockerCall(target, subject, (abortSignal) =>
    exec.start({ Detach: false, Tty: false, abortSignal }),
  );
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      output.write(chunk);
      done();
    },
  });
  target.docker.modem.demuxStream(stream, sink, sink);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<true>((resolve) => {
    timer = setTimeout(() => resolve(true), Math.max(0, deadline - Date.now()));
  });
  const done = finished(stream).then(() => false as const);
  // After a timeout the stream is destroyed, which rejects `done` when nobody waits for it any more.
  done.catch(() => undefined);
  try {
    const ended = await Promise.race([done, timedOut]);
    // The Engine API has no way to kill an exec: ending the stream stops opsbot reading, but does not
    // guarantee that the process in the container stops (it may run on, or die of a closed pipe).
    if (ended) return { timedOut: true };
  } catch (error) {
    throw engineError(error, target, subject);
  } finally {
    clearTimeout(timer);
    stream.destroy();
  }
  for (let tries = 1; ; tries++) {
    const state = ExecState.parse(await dockerCall(target, subject, () => exec.inspect()));
    if (!state.Running && state.ExitCode !== null) return { exitCode: state.ExitCode };
    if (tries >= SETTLE_TRIES) {
      throw new UnavailableError(
        `The Docker Engine at ${target.endpoint} ended the output of the command in ${container.name} but did not report its exit code.`,
      );
    }
    await sleep(SETTLE_EVERY_MS);
  }
}
