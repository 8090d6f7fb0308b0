import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKey } from '../backup/crypto.js';
import type { Env } from '../config/env.js';
import { loadOpsConfig } from '../config/load.js';
import { type ConsoleOptions, runConsole } from '../console/run-console.js';
import { createPool } from '../db/pool.js';
import { dependency } from '../dependency.js';
import { OpsError, UserError } from '../errors.js';
import { type Logger, redactUrl } from '../log.js';
import { startDemoApi } from './demo-api.js';
import { ensureDatabase } from './ensure-database.js';
import { seedDemo } from './seed.js';

/** examples/demo.ops.yml, found from this module (src/demo or dist/demo) whatever the working directory. */
export const DEMO_CONFIG = fileURLToPath(new URL('../../examples/demo.ops.yml', import.meta.url));

/** The demo's own files: its backup key and its backups (default ./.opsbot-demo). */
export interface DemoOptions extends ConsoleOptions {
  directory?: string;
}

/**
 * `opsbot demo`: the console on examples/demo.ops.yml, with everything it needs made first: opsbot's
 * database (created when missing), the `demo` schema (seeded when missing), a backup key kept in the demo's
 * directory, and the fake API its health checks and degraded mode call.
 */
export async function runDemo(env: Env, log: Logger, options: DemoOptions): Promise<void> {
  const say = (line: string) => options.output.write(`${line}\n`);
  const seeded = await prepareDemoData(env.DATABASE_URL, log, false, say);
  const directory = resolve(options.directory ?? '.opsbot-demo');
  const key = await demoKey(directory);
  const pool = createPool(env.DATABASE_URL, log, 2);
  try {
    const api = await startDemoApi(pool);
    try {
      const config = await loadOpsConfig(DEMO_CONFIG, {
        OPSBOT_DEMO_URL: api.url,
        OPSBOT_DEMO_HOST: new URL(api.url).host,
        OPSBOT_DEMO_DATABASE_URL: env.DATABASE_URL,
        OPSBOT_DEMO_BACKUP_KEY: key,
        OPSBOT_DEMO_DIR: directory,
      });
      say(
        `Demo: "bentham" keeps its data in the "demo" schema of opsbot's database (${seeded === 'created' ? 'just seeded' : 'as you left it'}; ` +
          '`opsbot demo seed`, in a checkout `node dist/cli.js demo seed`, starts it afresh).',
      );
      say(
        'Try: help · status bentham · show bentham failures · retry bentham study_abc123 · backup bentham · ' +
          'degraded bentham on llama3.2 · incident declare SEV3 Jobs failing · cancel-jobs bentham study_def456 ' +
          '(high risk: confirm, then /as U0BOB and press Approve)',
      );
      await runConsole(env, config, log, { user: 'U0ALICE', ...options });
    } finally {
      await api.stop();
    }
  } finally {
    await pool.end();
  }
}

/**
 * Creates opsbot's database when it is missing, then the demo schema when it is missing (or afresh when
 * `reset`: `opsbot demo seed`). An unreachable PostgreSQL, or a `demo` schema that is not opsbot's, stops it
 * with one sentence.
 */
export async function prepareDemoData(
  url: string,
  log: Logger,
  reset: boolean,
  say: (line: string) => void,
): Promise<'created' | 'kept'> {
  const postgres = `PostgreSQL at ${redactUrl(url)}`;
  if (await dependency(postgres, ensureDatabase(url))) say(`Created the database ${redactUrl(url)}.`);
  const pool = createPool(url, log, 1);
  try {
    // seedDemo's own refusal is already one sentence: only other failures are PostgreSQL's.
    const seeded = await dependency(
      postgres,
      seedDemo(pool, reset).catch((error: unknown) => {
        if (error instanceof OpsError) return error;
        throw error;
      }),
    );
    if (seeded instanceof OpsError) throw seeded;
    return seeded;
  } finally {
    await pool.end();
  }
}

/**
 * The demo's backup key: made once, kept readable only by its owner, so its backups can be decrypted later.
 * A directory it cannot be kept in stops the demo with one sentence.
 */
async function demoKey(directory: string): Promise<string> {
  const file = join(directory, 'backup.key');
  try {
    const kept = await readKey(file);
    if (kept) return kept;
    // An empty file (a write cut short) counts as none.
    if (kept === '') await rm(file, { force: true });
    await mkdir(directory, { recursive: true });
    // `wx`: when another demo wrote one first, that key is kept and read back.
    await writeFile(file, `${generateKey()}\n`, { mode: 0o600, flag: 'wx' }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    });
    const written = await readKey(file);
    if (!written) throw new Error(`${file} is empty`);
    return written;
  } catch (error) {
    throw new UserError(
      `The demo cannot keep its backup key in ${directory} (${error instanceof Error ? error.message : String(error)}): ` +
        'run it from a directory you can write to.',
    );
  }
}

/** The key file's trimmed text, or undefined when there is no such file. */
async function readKey(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
