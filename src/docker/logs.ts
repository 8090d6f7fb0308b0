import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import type { LogLine, LogWindow } from '../logs/log-lines.js';
import type { DockerTarget } from '../targets/docker.js';
import { dockerCall } from './calls.js';
import { type ComposeContainer, serviceContainers } from './containers.js';

/**
 * What one container's read keeps at most (its newest lines), whatever `tail` asks: a bound on memory, as the
 * Kubernetes reader's 1 MiB per container (the Engine has no byte limit on logs).
 */
const CONTAINER_LOG_CHARS = 1024 * 1024;
/**
 * A line is cut at this many characters while it is read; LogsService cuts it again, after redacting, to
 * what it shows (MAX_LINE_CHARS, far shorter), so a secret is never cut in two and half shown.
 */
const LINE_CHARS = 64 * 1024;

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

/**
 * GET /containers/{id}/logs, demuxed (a container without a TTY sends stdout and stderr in frames), as lines:
 * at most the newest CONTAINER_LOG_CHARS of them, each cut at LINE_CHARS, whatever `tail` lets through.
 */
async function containerLogLines(
  target: DockerTarget,
  container: ComposeContainer,
  query: { since: number; tail: number },
): Promise<string[]> {
  return dockerCall(target, `container ${container.name}`, async (abortSignal) => {
    const response = await new Promise<IncomingMessage>((resolve, reject) =>
      target.docker.modem.dial(
        {
          path: `/containers/${encodeURIComponent(container.id)}/logs?`,
          method: 'GET',
          isStream: true,
          abortSignal,
          options: { _query: { stdout: 1, stderr: 1, timestamps: 1, ...query } },
          statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
        },
        (error, result) => (error ? reject(error) : resolve(result as IncomingMessage)),
      ),
    );
    const kept = new NewestLines();
    const sink = () => {
      const decoder = new StringDecoder('utf8');
      let partial = '';
      const take = (text: string) => {
        for (const [i, piece] of text.split('\n').entries()) {
          if (i > 0) {
            kept.push(partial.replace(/\r$/, ''));
            partial = '';
          }
          if (partial.length < LINE_CHARS) partial += piece.slice(0, LINE_CHARS - partial.length);
        }
      };
      return new Writable({
        write(chunk: Buffer, _encoding, done) {
          take(decoder.write(chunk));
          done();
        },
        final(done) {
          take(decoder.end());
          if (partial) kept.push(partial);
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
    return kept.lines;
  });
}

/** The newest lines read, at most CONTAINER_LOG_CHARS in all: older lines are dropped as newer ones come. */
class NewestLines {
  readonly lines: string[] = [];
  private chars = 0;

  push(line: string): void {
    this.lines.push(line);
    this.chars += line.length;
    while (this.chars > CONTAINER_LOG_CHARS && this.lines.length > 1) {
      this.chars -= (this.lines.shift() as string).length;
    }
  }
}

/** One line as read: its timestamp parsed when it has one. */
function logLine(source: string, text: string): LogLine {
  const match = TIMESTAMPED.exec(text);
  const at = match ? new Date(match[1] ?? '') : undefined;
  if (!match || !at || Number.isNaN(at.getTime())) return { at: undefined, source, text };
  return { at, source, text: match[2] ?? '' };
}
