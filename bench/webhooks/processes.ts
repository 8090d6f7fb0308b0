import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A child opsbot process; resolves with the port of its HTTP server once it logged 'opsbot started'. */
export function spawnOpsbot(
  role: 'web' | 'worker',
  env: Record<string, string>,
  logFile: string,
): { child: ChildProcess; port: Promise<number> } {
  // node itself with tsx's loader (not the tsx wrapper, which runs node as a child), so `pid` is opsbot's.
  const args = ['--import', 'tsx', join(ROOT, 'src/cli.ts'), 'start', '--role', role];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = createWriteStream(logFile);
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const port = new Promise<number>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const started = /"port":(\d+)[^\n]*"msg":"opsbot started"/.exec(seen);
      if (started) resolve(Number(started[1]));
      if (seen.length > 100_000) seen = seen.slice(-10_000);
    });
    child.on('exit', (code) => reject(new Error(`opsbot --role ${role} exited (${code}); see ${logFile}`)));
  });
  return { child, port };
}

/**
 * BENCH_NICE (root only): the priority (-20 to 19) the bench, opsbot's two processes and the PostgreSQL
 * backends of the bench's database run at, so that other work on a shared machine disturbs the figures less.
 * Unset, everything runs at its usual priority.
 */
export const NICE = process.env.BENCH_NICE === undefined ? undefined : Number(process.env.BENCH_NICE);

export async function renice(
  priority: number,
  pids: (number | undefined)[],
  db: pg.Pool,
  url: string,
): Promise<void> {
  const { rows } = await db.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [
    new URL(url).pathname.slice(1),
  ]);
  for (const pid of [...pids, ...rows.map((row) => Number(row.pid))]) {
    if (pid !== undefined) os.setPriority(pid, priority);
  }
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
