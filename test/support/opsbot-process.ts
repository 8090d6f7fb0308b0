import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import { eventually } from './databases.js';

/** The checkout's root, where package.json and node_modules are. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `--import` this into node to run TypeScript in the process itself (the tsx CLI would be a parent of it). */
export const TSX_LOADER = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

/** An opsbot process a test spawned: its output so far, and how it ended. */
export interface OpsbotProcess {
  child: ChildProcess;
  output(): string;
  /** The exit code, or the signal that ended it. */
  exited: Promise<number | NodeJS.Signals | null>;
}

/** The test runner's environment without opsbot's or Slack's variables, which a spawned opsbot gets from `vars`. */
export function inheritedEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && !entry[0].startsWith('SLACK_') && !entry[0].startsWith('OPSBOT_'),
    ),
  );
}

/**
 * Spawns `command args` in `cwd` with `vars` over inheritedEnv(); resolves once it has logged "opsbot started",
 * within `startMs`.
 */
export async function spawnOpsbot(
  command: string,
  args: string[],
  cwd: string,
  vars: Record<string, string>,
  startMs = 20_000,
): Promise<OpsbotProcess> {
  const child = spawn(command, args, {
    cwd,
    env: { ...inheritedEnv(), LOG_LEVEL: 'info', ...vars },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal)),
  );
  try {
    await eventually(() => {
      expect(child.exitCode, out).toBeNull();
      expect(out).toContain('"opsbot started"');
    }, startMs);
  } catch (error) {
    // One that did not start in time is not left running behind the failed test.
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  return { child, output: () => out, exited };
}

/** `opsbot start --role worker`, one node process (signals reach opsbot itself), with ops.yml from `dir`. */
export function spawnWorker(dir: string, vars: Record<string, string>): Promise<OpsbotProcess> {
  return spawnRole('worker', dir, vars);
}

/** `opsbot start --role <role>` as spawnWorker starts a worker: one node process, ops.yml from `dir`. */
export function spawnRole(
  role: 'all' | 'web' | 'worker',
  dir: string,
  vars: Record<string, string>,
  startMs?: number,
): Promise<OpsbotProcess> {
  return spawnOpsbot(
    process.execPath,
    ['--import', TSX_LOADER, join(ROOT, 'src/cli.ts'), 'start', '--role', role],
    dir,
    { ...vars, OPSBOT_CONFIG: join(dir, 'ops.yml') },
    startMs,
  );
}

/** The port a started opsbot process listens on, as its "opsbot started" log line says (PORT=0 picks one). */
export function portOf(started: OpsbotProcess): number {
  for (const line of started.output().split('\n')) {
    if (!line.includes('"opsbot started"')) continue;
    const { port } = JSON.parse(line) as { port?: unknown };
    if (typeof port === 'number') return port;
  }
  throw new Error(`no port in the output of opsbot:\n${started.output()}`);
}

/** SIGTERM, as an operator stops opsbot; SIGKILL if it has not exited within `graceMs`. Resolves once it has. */
export async function stopOpsbot(proc: OpsbotProcess, graceMs = 15_000): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  await proc.exited;
  clearTimeout(timer);
}
