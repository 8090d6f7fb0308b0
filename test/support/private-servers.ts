import { execFile } from 'node:child_process';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A PostgreSQL or Redis server of a test file's own, on a port of its own, that the test stops and starts
 * (the shared servers on 5432 and 6379 are never touched). See REFERENCE.md.
 */
export interface PrivateServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres or redis://127.0.0.1:PORT. */
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and deletes its files. */
  close(): Promise<void>;
}

/** A port nobody listens on now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** redis-server without persistence, daemonized with a pid file. */
export async function startPrivateRedis(): Promise<PrivateServer> {
  const dir = await mkdtemp(join(tmpdir(), 'opsbot-redis-'));
  const port = await freePort();
  const pidFile = join(dir, 'redis.pid');
  const start = async () => {
    await run('redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
      '--daemonize',
      'yes',
      '--pidfile',
      pidFile,
      '--dir',
      dir,
    ]);
    await waitFor(() => run('redis-cli', ['-p', String(port), 'ping']));
  };
  const stop = async () => {
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    if (!pid) return;
    await run('redis-cli', ['-p', String(port), 'shutdown', 'nosave']).catch(() => undefined);
    await waitFor(() => isGone(pid));
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A PostgreSQL cluster made by initdb (as the postgres user: it refuses root), trust authentication. */
export async function startPrivatePostgres(): Promise<PrivateServer> {
  const dir = await mkdtemp(join(tmpdir(), 'opsbot-postgres-'));
  const ids = await run('id', ['-u', 'postgres']);
  const gid = await run('id', ['-g', 'postgres']);
  await chown(dir, Number(ids.stdout.trim()), Number(gid.stdout.trim()));
  const port = await freePort();
  const asPostgres = (args: string[]) => run('runuser', ['-u', 'postgres', '--', ...args]);
  await asPostgres(['initdb', '-D', dir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = async () => {
    await asPostgres(['pg_ctl', '-D', dir, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  };
  const stop = async () => {
    await asPostgres(['pg_ctl', '-D', dir, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    async close() {
      await asPostgres(['pg_ctl', '-D', dir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * For afterAll: runs `close` (the harness's), waiting at most `ms`, then closes the private servers whatever
 * happened, so none outlives a test file whose opsbot could not stop (the hook's own timeout is 30 s).
 */
export async function closeAll(close: () => Promise<unknown>, servers: PrivateServer[], ms = 20_000) {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([close(), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
    for (const server of servers) await server.close();
  }
}

function isGone(pid: number): void {
  try {
    process.kill(pid, 0);
  } catch {
    return;
  }
  throw new Error(`process ${pid} is still running`);
}

async function waitFor(check: () => unknown, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
