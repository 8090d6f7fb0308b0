import type { IncomingMessage } from 'node:http';
import { finished } from 'node:stream/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseOpsConfig } from '../../src/config/load.js';
import { dockerCall } from '../../src/docker/calls.js';
import { composeLogs } from '../../src/docker/logs.js';
import { DockerTargets } from '../../src/targets/docker.js';
import { FakeDocker } from '../support/fake-docker.js';

const PROJECT = 'ai-benchmark';
let docker: FakeDocker;
let targets: DockerTargets;

beforeAll(async () => {
  docker = await new FakeDocker().start();
  const config = `
workspace: { ops_channel: C0OPS }
services:
  ai-benchmark:
    environment: production
    compose: { project: ${PROJECT}, docker: { socket: ${docker.socketPath} } }
`;
  targets = new DockerTargets(parseOpsConfig(config, {}).services);
});
afterAll(async () => {
  await docker?.stop();
});
beforeEach(() => {
  docker.reset();
});

/** An RFC 3339 timestamp with nanoseconds, as the Engine writes them, `secondsAgo` before now. */
function stamp(secondsAgo: number): string {
  return new Date(Date.now() - secondsAgo * 1000).toISOString().replace('Z', '456789Z');
}

describe('composeLogs', () => {
  it('reads every container of the service (stopped ones too), demuxed, each line with its time and container', async () => {
    const one = docker.addContainer(PROJECT, 'web', 1, {
      logs: [
        { stream: 1, at: stamp(3600), text: 'an hour ago' },
        { stream: 1, at: stamp(60), text: 'INFO: GET /health 200' },
        { stream: 2, at: stamp(50), text: 'ERROR: database connection timeout' },
      ],
    });
    const two = docker.addContainer(PROJECT, 'web', 2, {
      state: 'exited',
      logs: [{ stream: 1, at: stamp(40), text: '{"level":50,"msg":"too many connections"}' }],
    });
    docker.addContainer(PROJECT, 'postgres', 1, { logs: [{ stream: 1, at: stamp(10), text: 'not web' }] });

    const before = Math.floor(Date.now() / 1000);
    const lines = await composeLogs(targets.target('ai-benchmark'), 'web', { sinceSeconds: 900, tail: 100 });
    const after = Math.floor(Date.now() / 1000);

    expect(lines.map((line) => [line.source, line.text])).toEqual([
      ['ai-benchmark-web-1', 'INFO: GET /health 200'],
      ['ai-benchmark-web-1', 'ERROR: database connection timeout'],
      ['ai-benchmark-web-2', '{"level":50,"msg":"too many connections"}'],
    ]);
    expect(lines[1]?.at?.toISOString()).toBe(one.logs[2]?.at.replace(/\d{6}Z$/, 'Z'));
    const list = docker.requests[0];
    expect(list?.path).toBe('/containers/json');
    expect(list?.query.get('all')).toBe('true');
    expect(JSON.parse(list?.query.get('filters') ?? '')).toEqual({
      label: [`com.docker.compose.project=${PROJECT}`, 'com.docker.compose.service=web'],
    });
    const reads = docker.requests.slice(1);
    expect(reads.map((r) => r.path)).toEqual([`/containers/${one.id}/logs`, `/containers/${two.id}/logs`]);
    for (const read of reads) {
      expect([...read.query.keys()]).toEqual(['stdout', 'stderr', 'timestamps', 'since', 'tail']);
      expect(read.query.get('stdout')).toBe('1');
      expect(read.query.get('stderr')).toBe('1');
      expect(read.query.get('timestamps')).toBe('1');
      expect(read.query.get('tail')).toBe('100');
      const since = Number(read.query.get('since'));
      expect(since).toBeGreaterThanOrEqual(before - 900);
      expect(since).toBeLessThanOrEqual(after - 900);
    }
  });

  it('keeps the last `tail` lines of each container; a service with no container has no lines', async () => {
    docker.addContainer(PROJECT, 'web', 1, {
      logs: [1, 2, 3, 4].map((n) => ({ stream: 1 as const, at: stamp(10 - n), text: `line ${n}` })),
    });
    const lines = await composeLogs(targets.target('ai-benchmark'), 'web', { sinceSeconds: 60, tail: 2 });
    expect(lines.map((line) => line.text)).toEqual(['line 3', 'line 4']);
    expect(lines.every((line) => line.at instanceof Date)).toBe(true);
    await expect(
      composeLogs(targets.target('ai-benchmark'), 'worker', { sinceSeconds: 60, tail: 2 }),
    ).resolves.toEqual([]);
  });

  it('demuxes frames that arrive split anywhere: in the header, in the payload, inside a character', async () => {
    docker.chunkBytes = 3;
    docker.addContainer(PROJECT, 'web', 1, {
      logs: [
        { stream: 1, at: stamp(3), text: 'café → ok' },
        { stream: 2, at: stamp(2), text: '{"level":50,"msg":"échec"}' },
        { stream: 1, at: stamp(1), text: 'last' },
      ],
    });
    const lines = await composeLogs(targets.target('ai-benchmark'), 'web', { sinceSeconds: 60, tail: 10 });
    expect(lines.map((line) => line.text)).toEqual(['café → ok', '{"level":50,"msg":"échec"}', 'last']);
  });

  it("keeps at most 1 MiB of a container's newest lines, each cut at 64 Ki characters, however long they are", async () => {
    docker.addContainer(PROJECT, 'web', 1, {
      logs: Array.from({ length: 40 }, (_, i) => ({
        stream: 1 as const,
        at: stamp(40 - i),
        text: `line ${i + 1} ${'x'.repeat(100_000)}`,
      })),
    });
    const lines = await composeLogs(targets.target('ai-benchmark'), 'web', { sinceSeconds: 60, tail: 5000 });
    expect(lines.length).toBe(16);
    expect(lines.at(-1)?.text.startsWith('line 40 ')).toBe(true);
    expect(lines.every((line) => line.text.length < 64 * 1024)).toBe(true);
  });

  it('a read the Engine never ends is aborted at its timeout: the connection is closed, not left open', async () => {
    docker.hangLogs = true;
    const one = docker.addContainer(PROJECT, 'web', 1, {
      logs: [{ stream: 1, at: stamp(1), text: 'and then nothing' }],
    });
    const target = targets.target('ai-benchmark');
    const read = dockerCall(
      target,
      `container ${one.name}`,
      async (abortSignal) => {
        const response = await new Promise<IncomingMessage>((resolve, reject) =>
          target.docker.modem.dial(
            {
              path: `/containers/${one.id}/logs?`,
              method: 'GET',
              isStream: true,
              abortSignal,
              options: {},
              statusCodes: { 200: true },
            },
            (error, result) => (error ? reject(error) : resolve(result as IncomingMessage)),
          ),
        );
        response.resume();
        await finished(response);
      },
      300,
    );
    await expect(read).rejects.toThrow(
      `The Docker Engine at unix://${docker.socketPath} did not answer about container ai-benchmark-web-1 within 1 s.`,
    );
    await expect.poll(() => docker.abandoned).toEqual([one.id]);
  });
});
