import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DockerExecSchema, dockerExecKind } from '../../../src/actions/docker-exec.js';
import { DockerRestartSchema, dockerRestartKind } from '../../../src/actions/docker-restart.js';
import { DockerScaleSchema, dockerScaleKind } from '../../../src/actions/docker-scale.js';
import type { ParamValues } from '../../../src/actions/params.js';
import type { ActionContext, OutputStream } from '../../../src/actions/types.js';
import { parseOpsConfig } from '../../../src/config/load.js';
import { CommandOutput } from '../../../src/exec/output.js';
import { Redactor } from '../../../src/exec/redactor.js';
import { DockerTargets } from '../../../src/targets/docker.js';
import { testContext } from '../../support/action-context.js';
import { type DockerRequest, FakeDocker } from '../../support/fake-docker.js';

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
    compose: { project: ${PROJECT}, services: [web, postgres], docker: { socket: ${docker.socketPath} } }
`;
  targets = new DockerTargets(parseOpsConfig(config, {}).services);
});
afterAll(async () => {
  await docker?.stop();
});
beforeEach(() => {
  docker.reset();
});

/** A stream that keeps what it was given: the chunks as written, the title, the outcome it was closed with. */
function recordedOutput() {
  const record = { title: '', chunks: [] as string[], outcome: undefined as string | undefined };
  const kept = new CommandOutput(new Redactor([]));
  const stream: OutputStream = {
    write: (chunk) => {
      record.chunks.push(String(chunk));
      kept.write(chunk);
    },
    lastLines: (n) => kept.lastLines(n),
    close: async (outcome) => {
      record.outcome = outcome;
      kept.finish();
      kept.dispose();
    },
  };
  return { record, stream };
}

function context(params: ParamValues = {}, more: Partial<ActionContext> = {}): ActionContext {
  return testContext({
    service: 'ai-benchmark',
    params,
    docker: () => targets.target('ai-benchmark'),
    ...more,
  });
}

/** What the fake Engine was asked, as `METHOD path?query`. */
function calls(requests: DockerRequest[] = docker.requests): string[] {
  return requests.map((r) => `${r.method} ${r.path}${r.query.size > 0 ? `?${r.query}` : ''}`);
}

const LIST_WEB = `GET /containers/json?${new URLSearchParams({
  filters: JSON.stringify({
    label: [`com.docker.compose.project=${PROJECT}`, 'com.docker.compose.service=web'],
  }),
})}`;

describe('docker.restart', () => {
  const config = DockerRestartSchema.parse({ kind: 'docker.restart', service: 'web' });

  it('plans the running containers of the service and restarts each with a stop timeout, health after', async () => {
    const one = docker.addContainer(PROJECT, 'web', 1, { health: 'healthy' });
    const two = docker.addContainer(PROJECT, 'web', 2);
    docker.addContainer(PROJECT, 'web', 3, { state: 'exited' });
    docker.addContainer(PROJECT, 'postgres', 1);
    docker.addContainer('other-project', 'web', 1);
    expect(config.summary).toBe('Restart the web compose service');

    const plan = await dockerRestartKind.plan(config, context());
    expect(plan.summary).toBe(
      'Restart the 2 running containers of web in compose project ai-benchmark, one after another, each given 10s to stop.',
    );
    expect(plan.table?.rows).toEqual([
      ['ai-benchmark-web-1', 'ai-benchmark-web', 'running', '2026-12-01T09:00:00Z', 'healthy', 'restart'],
      ['ai-benchmark-web-2', 'ai-benchmark-web', 'running', '2026-12-01T09:00:00Z', '', 'restart'],
    ]);
    expect(calls()).toEqual([
      `${LIST_WEB.replace('?', '?all=false&')}`,
      `GET /containers/${one.id}/json`,
      `GET /containers/${two.id}/json`,
    ]);

    docker.requests.length = 0;
    const result = await dockerRestartKind.execute(config, context());
    expect(calls(docker.changes())).toEqual([
      `POST /containers/${one.id}/restart?t=10`,
      `POST /containers/${two.id}/restart?t=10`,
    ]);
    expect(result.summary).toBe('Restarted 2 containers of web.');
    expect(result.table?.columns).toEqual(['container', 'image', 'state', 'started at', 'health', 'change']);
    expect(result.table?.rows.map((row) => [row[0], row[4], row[5]])).toEqual([
      ['ai-benchmark-web-1', 'healthy', 'restarted'],
      ['ai-benchmark-web-2', '', 'restarted'],
    ]);
    expect(result.table?.rows[0]?.[3]).not.toBe('2026-12-01T09:00:00Z');
  });

  it('refuses in one sentence when the service has no running container, and a compose service not listed', async () => {
    docker.addContainer(PROJECT, 'web', 1, { state: 'exited' });
    await expect(dockerRestartKind.plan(config, context())).rejects.toThrow(
      'web has no running container in compose project ai-benchmark to restart; start it with docker-compose up -d web.',
    );
    docker.requests.length = 0;
    const redis = DockerRestartSchema.parse({ kind: 'docker.restart', service: 'redis' });
    await expect(dockerRestartKind.execute(redis, context())).rejects.toThrow(
      'redis is not one of the compose services opsbot may touch in ai-benchmark (web, postgres).',
    );
    expect(docker.requests).toEqual([]);
  });
});

describe('docker.scale', () => {
  const config = DockerScaleSchema.parse({ kind: 'docker.scale', service: 'web', min: 1, max: 4 });

  it('scales up by creating and starting copies of a running container, numbered and named as Compose does', async () => {
    docker.addContainer(PROJECT, 'web', 1, { state: 'exited' });
    docker.addContainer(PROJECT, 'web', 2, { ports: ['8000'], env: ['DB_HOST=postgres'] });

    const plan = await dockerScaleKind.plan(config, context({ replicas: 4 }));
    expect(plan.summary).toBe(
      'Scale web in compose project ai-benchmark from 2 to 4 containers: create and start ai-benchmark-web-3, ai-benchmark-web-4 (copies of ai-benchmark-web-2).',
    );
    expect(plan.table?.rows.map((row) => [row[0], row[2], row[5]])).toEqual([
      ['ai-benchmark-web-1', 'exited', 'keep'],
      ['ai-benchmark-web-2', 'running', 'keep'],
      ['ai-benchmark-web-3', 'not created yet', 'create (copy of ai-benchmark-web-2)'],
      ['ai-benchmark-web-4', 'not created yet', 'create (copy of ai-benchmark-web-2)'],
    ]);
    expect(docker.changes()).toEqual([]);

    const result = await dockerScaleKind.execute(config, context({ replicas: 4 }));
    const changes = docker.changes();
    const three = docker.named('ai-benchmark-web-3');
    const four = docker.named('ai-benchmark-web-4');
    expect(calls(changes)).toEqual([
      'POST /containers/create?name=ai-benchmark-web-3',
      `POST /containers/${three?.id}/start`,
      'POST /containers/create?name=ai-benchmark-web-4',
      `POST /containers/${four?.id}/start`,
    ]);
    expect(changes[0]?.body).toEqual({
      Image: 'ai-benchmark-web',
      Env: ['DB_HOST=postgres'],
      Cmd: null,
      ExposedPorts: { '8000/tcp': {} },
      Labels: {
        'com.docker.compose.project': PROJECT,
        'com.docker.compose.service': 'web',
        'com.docker.compose.container-number': '3',
        'com.docker.compose.oneoff': 'False',
        'com.docker.compose.config-hash': 'c0ffee',
      },
      HostConfig: {
        NetworkMode: 'ai-benchmark_default',
        RestartPolicy: { Name: 'unless-stopped' },
        PortBindings: { '8000/tcp': [{ HostIp: '', HostPort: '' }] },
      },
      NetworkingConfig: {
        EndpointsConfig: { 'ai-benchmark_default': { Aliases: ['ai-benchmark-web-2', 'web'] } },
      },
    });
    expect(three?.config.Labels['com.docker.compose.container-number']).toBe('3');
    expect(four?.state).toBe('running');
    expect(result.summary).toBe(
      'Scaled web from 2 to 4 containers: created ai-benchmark-web-3, ai-benchmark-web-4.',
    );
    expect(result.table?.rows.map((row) => [row[0], row[5]])).toEqual([
      ['ai-benchmark-web-1', 'kept'],
      ['ai-benchmark-web-2', 'kept'],
      ['ai-benchmark-web-3', 'created'],
      ['ai-benchmark-web-4', 'created'],
    ]);
  });

  it('scales down by stopping (when running) and removing the highest-numbered containers', async () => {
    const ids = [1, 2, 3].map(
      (n) => docker.addContainer(PROJECT, 'web', n, { state: n === 3 ? 'exited' : 'running' }).id,
    );
    const plan = await dockerScaleKind.plan(config, context({ replicas: 1 }));
    expect(plan.summary).toBe(
      'Scale web in compose project ai-benchmark from 3 to 1 container: stop and remove ai-benchmark-web-3, ai-benchmark-web-2.',
    );
    const result = await dockerScaleKind.execute(config, context({ replicas: 1 }));
    expect(calls(docker.changes())).toEqual([
      `DELETE /containers/${ids[2]}`,
      `POST /containers/${ids[1]}/stop?t=10`,
      `DELETE /containers/${ids[1]}`,
    ]);
    expect(docker.containers.map((c) => c.name)).toEqual(['ai-benchmark-web-1']);
    expect(result.summary).toBe(
      'Scaled web from 3 to 1 container: removed ai-benchmark-web-3, ai-benchmark-web-2.',
    );
  });

  it('a container failing mid-scale stops the run, the error says what was already done; one not started is removed', async () => {
    docker.addContainer(PROJECT, 'web', 1);
    // Another project's container holds the name the fourth would get: the Engine refuses it (409).
    const stray = docker.addContainer(PROJECT, 'web', 4);
    stray.config.Labels['com.docker.compose.project'] = 'other';
    docker.failStart.add('ai-benchmark-web-3');

    await expect(dockerScaleKind.execute(config, context({ replicas: 4 }))).rejects.toThrow(
      `web has 2 containers of the 4 asked for (opsbot created and started ai-benchmark-web-2), then: The Docker Engine at unix://${docker.socketPath} answered 500 for container ai-benchmark-web-3: failed to start ai-benchmark-web-3: no space left on device.`,
    );
    // The second start was web-3's, refused: web-3 was removed again (forced), not left created.
    const threeId = docker
      .changes()
      .filter((r) => r.path.endsWith('/start'))[1]
      ?.path.split('/')[2];
    const removals = docker.changes().filter((r) => r.method === 'DELETE');
    expect(removals.map((r) => `${r.path}?force=${r.query.get('force')}`)).toEqual([
      `/containers/${threeId}?force=true`,
    ]);
    expect(docker.containers.map((c) => [c.name, c.state])).toEqual([
      ['ai-benchmark-web-1', 'running'],
      ['ai-benchmark-web-4', 'running'],
      ['ai-benchmark-web-2', 'running'],
    ]);

    // Run again, the start works: web-3 is created afresh, and web-4's name is still taken.
    docker.failStart.clear();
    await expect(dockerScaleKind.execute(config, context({ replicas: 4 }))).rejects.toThrow(
      `web has 3 containers of the 4 asked for (opsbot created and started ai-benchmark-web-3), then: The Docker Engine at unix://${docker.socketPath} answered 409 for container ai-benchmark-web-4: Conflict. The container name "/ai-benchmark-web-4" is already in use.`,
    );
  });

  it('refuses counts outside min..max, a fixed host port on scale-up, and a service with nothing to copy', async () => {
    expect(dockerScaleKind.constraints?.(config, { replicas: 5 })).toBe(
      '5 containers is outside what this action allows for web (1 to 4).',
    );
    expect(dockerScaleKind.constraints?.(config, { replicas: 0 })).toBe(
      '0 containers is outside what this action allows for web (1 to 4).',
    );
    expect(dockerScaleKind.constraints?.(config, { replicas: 4 })).toBeUndefined();
    await expect(dockerScaleKind.execute(config, context({ replicas: 9 }))).rejects.toThrow('outside');

    await expect(dockerScaleKind.plan(config, context({ replicas: 2 }))).rejects.toThrow(
      'web has no container in compose project ai-benchmark for opsbot to copy, so it cannot scale it up; create one first with docker-compose up -d web.',
    );

    docker.addContainer(PROJECT, 'web', 1, { ports: ['8000:8000', '9000'] });
    await expect(dockerScaleKind.execute(config, context({ replicas: 2 }))).rejects.toThrow(
      'web publishes fixed host port 8000, which a second container could not bind (docker-compose up --scale fails the same way), so it cannot be scaled up.',
    );
    expect(docker.changes()).toEqual([]);
    // Scaling down such a service is fine.
    expect((await dockerScaleKind.plan(config, context({ replicas: 1 }))).summary).toBe(
      'web in compose project ai-benchmark already has 1 container; scaling changes nothing.',
    );
  });
});

describe('docker.exec', () => {
  const vacuum = DockerExecSchema.parse({
    kind: 'docker.exec',
    service: 'postgres',
    command: ['psql', '-U', 'benchmark_user', '-d', 'benchmark_db', '-c', 'VACUUM ANALYZE'],
  });

  it("never shows a secret in the plan, even one that quoting for display would change (a ' inside it)", async () => {
    docker.addContainer(PROJECT, 'postgres', 1);
    const secret = "pa'ss-w0rd-4217";
    const redactor = new Redactor([secret]);
    const config = DockerExecSchema.parse({
      kind: 'docker.exec',
      service: 'postgres',
      command: ['psql', `postgres://app:${secret}@db/app`, '-c', `SELECT '${secret}'`],
    });
    const plan = await dockerExecKind.plan(config, context({}, { redact: (text) => redactor.redact(text) }));
    const shown = JSON.stringify(plan);
    expect(shown).not.toContain('w0rd-4217');
    expect(shown).toContain('[redacted]');
  });

  it('runs argv in the first running container by number, output demuxed into the stream, exit code read', async () => {
    docker.addContainer(PROJECT, 'postgres', 1, { state: 'exited' });
    const two = docker.addContainer(PROJECT, 'postgres', 2, { image: 'postgres:16' });
    docker.addContainer(PROJECT, 'postgres', 3, { image: 'postgres:16' });
    docker.execScript = {
      frames: [
        { stream: 1, text: 'VACU' },
        { stream: 1, text: 'UM\n' },
        { stream: 2, text: 'WARNING: skipping "pg_authid"\n' },
      ],
      exitCode: 0,
    };
    expect(vacuum.summary).toBe(
      "Run psql -U benchmark_user -d benchmark_db -c 'VACUUM ANALYZE' in the postgres compose service",
    );
    const plan = await dockerExecKind.plan(vacuum, context());
    expect(plan.summary).toBe(
      "Run `psql -U benchmark_user -d benchmark_db -c 'VACUUM ANALYZE'` in ai-benchmark-postgres-2 (compose project ai-benchmark), without a shell; it may take up to 5m.",
    );
    expect(plan.table?.rows.map((row) => [row[0], row[1]])).toEqual([
      ['ai-benchmark-postgres-2', 'postgres:16'],
    ]);
    expect(docker.changes()).toEqual([]);

    const { record, stream } = recordedOutput();
    const result = await dockerExecKind.execute(
      vacuum,
      context(
        {},
        {
          output: (title) => {
            record.title = title;
            return stream;
          },
        },
      ),
    );
    const changes = docker.changes();
    const execId = [...docker.execs.keys()][0];
    expect(calls(changes)).toEqual([`POST /containers/${two.id}/exec`, `POST /exec/${execId}/start`]);
    expect(changes[0]?.body).toEqual({
      Cmd: ['psql', '-U', 'benchmark_user', '-d', 'benchmark_db', '-c', 'VACUUM ANALYZE'],
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    });
    expect(changes[1]?.body).toEqual({ Detach: false, Tty: false });
    expect(calls().at(-1)).toBe(`GET /exec/${execId}/json`);
    expect(record.title).toBe(
      "psql -U benchmark_user -d benchmark_db -c 'VACUUM ANALYZE' in ai-benchmark-postgres-2",
    );
    expect(record.chunks.join('')).toBe('VACUUM\nWARNING: skipping "pg_authid"\n');
    expect(record.outcome).toBe('exit code 0');
    expect(result.exitCode).toBe(0);
    expect(result.summary).toBe(
      "`psql -U benchmark_user -d benchmark_db -c 'VACUUM ANALYZE'` exited with code 0 in ai-benchmark-postgres-2; its output is in the thread.",
    );
  });

  it('demuxes exec frames split anywhere (header, payload, a character) into the stream whole', async () => {
    docker.addContainer(PROJECT, 'postgres', 1);
    docker.chunkBytes = 3;
    docker.execScript = {
      frames: [
        { stream: 1, text: 'réindexé\n' },
        { stream: 2, text: 'NOTICE: → done\n' },
      ],
      exitCode: 0,
    };
    const { record, stream } = recordedOutput();
    await dockerExecKind.execute(vacuum, context({}, { output: () => stream }));
    expect(record.chunks).toEqual(['réindexé\n', 'NOTICE: → done\n']);
    expect(stream.lastLines(5)).toEqual(['réindexé', 'NOTICE: → done']);
  });

  it('passes a param holding spaces, quotes, ;, $(…) and newlines as one argv element', async () => {
    docker.addContainer(PROJECT, 'postgres', 1);
    const config = DockerExecSchema.parse({
      kind: 'docker.exec',
      service: 'postgres',
      command: ['psql', '-c', 'SELECT {note}'],
      params: { note: { type: 'string' } },
    });
    const note = `'a b'; DROP TABLE x; $(rm -rf /) "q"\n\`id\``;
    await dockerExecKind.execute(config, context({ note }, { output: () => recordedOutput().stream }));
    expect(docker.changes()[0]?.body).toMatchObject({ Cmd: ['psql', '-c', `SELECT ${note}`] });
  });

  it('a non-zero exit fails the run naming the exit code, with the last lines', async () => {
    docker.addContainer(PROJECT, 'postgres', 1);
    docker.execScript = {
      frames: [
        { stream: 1, text: Array.from({ length: 15 }, (_, i) => `line ${i + 1}`).join('\n') },
        { stream: 2, text: '\npsql: error: FATAL: role "benchmark_user" does not exist\n' },
      ],
      exitCode: 2,
    };
    const { record, stream } = recordedOutput();
    const run = dockerExecKind.execute(vacuum, context({}, { output: () => stream }));
    await expect(run).rejects.toMatchObject({ exitCode: 2 });
    await expect(run).rejects.toThrow(
      '`psql -U benchmark_user -d benchmark_db -c \'VACUUM ANALYZE\'` exited with code 2 in ai-benchmark-postgres-1; last lines: line 7 ⏎ line 8 ⏎ line 9 ⏎ line 10 ⏎ line 11 ⏎ line 12 ⏎ line 13 ⏎ line 14 ⏎ line 15 ⏎ psql: error: FATAL: role "benchmark_user" does not exist.',
    );
    expect(record.outcome).toBe('exit code 2');
  });

  it('a command that hangs is abandoned at its timeout and the run fails with one sentence', async () => {
    docker.addContainer(PROJECT, 'postgres', 1);
    docker.execScript = { frames: [{ stream: 1, text: 'waiting for lock\n' }], exitCode: 0, hang: true };
    const config = DockerExecSchema.parse({ ...vacuum, summary: undefined, timeout: '300ms' });
    const { record, stream } = recordedOutput();
    await expect(dockerExecKind.execute(config, context({}, { output: () => stream }))).rejects.toThrow(
      "`psql -U benchmark_user -d benchmark_db -c 'VACUUM ANALYZE'` did not finish within 300ms in ai-benchmark-postgres-1, so opsbot stopped waiting (the Docker Engine cannot kill an exec: check for the process in the container).",
    );
    expect(record.chunks).toEqual(['waiting for lock\n']);
    expect(record.outcome).toBe('stopped waiting after 300ms');
    await expect.poll(() => docker.abandoned.length).toBe(1);
  });

  it('redacts what the plan shows and what the error repeats', async () => {
    docker.addContainer(PROJECT, 'postgres', 1);
    docker.execScript = { frames: [{ stream: 1, text: 'token xoxb-1234-abcdefghij\n' }], exitCode: 1 };
    const redactor = new Redactor([]);
    const kept = new CommandOutput(redactor);
    const stream: OutputStream = {
      write: (chunk) => kept.write(chunk),
      lastLines: (n) => kept.lastLines(n),
      close: async () => kept.dispose(),
    };
    const error = await dockerExecKind
      .execute(vacuum, context({}, { output: () => stream, redact: (text) => redactor.redact(text) }))
      .catch((e: Error) => e);
    expect(String(error)).toContain('; last lines: token [redacted].');
    expect(String(error)).not.toContain('xoxb-');
  });
});
