import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import type { LogLine, LogWindow } from '../logs/log-lines.js';
import type { DockerTarget } from '../targets/docker.js';
import { dockerCall } from './calls.js';
import { type ComposeContainer, serviceContainers } from './containers.js';

/** `2026-12-01T10:00:00.123456789Z text`: the RFC 3339 timestamp the Engine puts before each line. */
const TIMESTAMPED = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ?(.*)$/s;

/**
 * `docker-compose logs --timestamps --since … --tail N <service>`: the lines of every container of the
 * service (stopped ones too), each container's in its order, in container-number order.
 */
export async function composeLogs(
  target: DockerTarget,
  service: string,
  window: LogWindow,
): Promise<LogLine[]> {
  const containers = await serviceContainers(target, service, { all: true });
  const since = Math.floor(Date.now() / 1000) - window.sinceSeconds;
  const lines: LogLine[] = [];
  for (const container of containers) {
    const texts = await containerLogLines(target, container, { since, tail: window.tail });
    lines.push(...texts.map((text) => logLine(container.name, text)));
  }
  return lines;
}

/** GET /containers/{id}/logs, demuxed (a container without a TTY sends stdout and stderr in frames), as lines. */
async function containerLogLines(
  target: DockerTarget,
  container: ComposeContainer,
  query: { since: number; tail: number },
): Promise<string[]> {
  return dockerCall(target, `container ${container.name}`, async () => {
    const response = await new Promise<IncomingMessage>((resolve, reject) =>
      target.docker.modem.dial(
        {
          path: `/containers/${encodeURIComponent(container.id)}/logs?`,
          method: 'GET',
          isStream: true,
          options: { _query: { stdout: 1, stderr: 1, timestamps: 1, ...query } },
          statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
        },
        (error, result) => (error ? reject(error) : resolve(result as IncomingMessage)),
      ),
    );
    const lines: string[] = [];
    const sink = () => {
      const decoder = new StringDecoder('utf8');
      let partial = '';
      return new Writable({
        write(chunk: Buffer, _encoding, done) {
          const pieces = (partial + decoder.write(chunk)).split('\n');
          partial = pieces.pop() ?? '';
          lines.push(...pieces.map((piece) => piece.replace(/\r$/, '')));
          done();
        },
        final(done) {
          partial += decoder.end();
          if (partial) lines.push(partial);
          done();
        },
      });
    };
    const stdout = sink();
    const stderr = sink();
    target.docker.modem.demuxStream(response, stdout, stderr);
    await finished(response);
    stdout.end();
    stderr.end();
    await Promise.all([finished(stdout), finished(stderr)]);
    return lines;
  });
}

/** One line as read: its timestamp parsed when it has one. */
function logLine(source: string, text: string): LogLine {
  const match = TIMESTAMPED.exec(text);
  const at = match ? new Date(match[1] ?? '') : undefined;
  if (!match || !at || Number.isNaN(at.getTime())) return { at: undefined, source, text };
  return { at, source, text: match[2] ?? '' };
}
