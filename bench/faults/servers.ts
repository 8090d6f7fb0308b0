import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** A port nobody listens on now (the OS picks it), for a server the bench starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it resolves true, at most `timeoutMs`; false when it never did. */
async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/**
 * A redis-server of the bench's own, on its own port and without persistence (REFERENCE.md), so stopping it
 * loses every key, as a Redis restart without a snapshot does. Never the shared 127.0.0.1:6379.
 */
export class PrivateRedis {
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivateRedis> {
    const dir = await mkdtemp(join(tmpdir(), 'opsbot-bench-redis-'));
    const redis = new PrivateRedis(await freePort(), dir);
    await redis.up();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again, empty) and waits until it answers PING. */
  async up(): Promise<void> {
    const pidfile = join(this.dir, 'redis.pid');
    await run('redis-server', [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'yes',
      '--pidfile',
      pidfile,
      '--dir',
      this.dir,
    ]);
    const ok = await until(async () => (await this.cli('ping')) === 'PONG', 10_000);
    if (!ok) throw new Error(`the bench's redis-server on ${this.port} did not start`);
  }

  /** Shuts the server down without saving and waits until the port is closed. */
  async down(): Promise<void> {
    await this.cli('shutdown', 'nosave').catch(() => undefined);
    await until(async () => !(await this.cli('ping').catch(() => '')), 10_000);
  }

  async stop(): Promise<void> {
    await this.down();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async cli(...args: string[]): Promise<string> {
    const { stdout } = await run('redis-cli', ['-p', String(this.port), ...args], { timeout: 5_000 });
    return stdout.trim();
  }
}

/**
 * A PostgreSQL cluster of the bench's own (initdb in a temporary directory owned by postgres, trust auth, its
 * own port), so the bench may stop and start it; never the shared 127.0.0.1:5432. Commands run as the postgres
 * user, since PostgreSQL refuses to run as root (REFERENCE.md).
 */
export class PrivatePostgres {
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    const dir = await mkdtemp(join(tmpdir(), 'opsbot-bench-pg-'));
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
    const cluster = new PrivatePostgres(await freePort(), dir);
    await cluster.asPostgres('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres']);
    await cluster.up();
    return cluster;
  }

  /** The URL of database `name` on this cluster. */
  url(name = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${name}`;
  }

  /** Starts the server and waits until it takes connections. */
  async up(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
    await this.asPostgres('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-o',
      options,
      '-l',
      join(this.dir, 'log'),
      '-w',
      'start',
    ]);
    const ok = await until(async () => {
      const client = new pg.Client({ connectionString: this.url() });
      client.on('error', () => undefined);
      await client.connect();
      await client.end();
      return true;
    }, 15_000);
    if (!ok) throw new Error(`the bench's PostgreSQL on ${this.port} did not start`);
  }

  /** Stops the server as `pg_ctl stop -m fast` does: every session is cut off at once. */
  async down(): Promise<void> {
    await this.asPostgres('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']);
  }

  async stop(): Promise<void> {
    await this.down().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }

  async createDatabase(name: string): Promise<string> {
    const client = new pg.Client({ connectionString: this.url() });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  private async asPostgres(command: string, args: string[]): Promise<void> {
    await run('runuser', ['-u', 'postgres', '--', command, ...args], { cwd: this.dir, timeout: 60_000 });
  }
}
