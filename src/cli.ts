#!/usr/bin/env node
import { fstatSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { verifyAuditChain } from './audit/verify.js';
import { BackupAuthError, decodeKey, generateKey } from './backup/crypto.js';
import { exportArtifact } from './backup/export.js';
import { type Env, EnvError, readEnv } from './config/env.js';
import { ConfigError, loadOpsConfig } from './config/load.js';
import { runConsole } from './console/run-console.js';
import { migrate } from './db/migrate.js';
import { createPool } from './db/pool.js';
import { prepareDemoData, runDemo } from './demo/run-demo.js';
import { OpsError } from './errors.js';
import { createLogger, redactUrl } from './log.js';
import { type ProcessRole, startOpsbot } from './opsbot.js';

const USAGE = `Usage: opsbot [command]

  start [--role all|web|worker]   run opsbot (the default command; default role: all); without SLACK_BOT_TOKEN
                                  it fails, unless there is no config (OPSBOT_CONFIG unset, no ./ops.yml),
                                  the role is all and stdin is a terminal, pipe or file: then it runs the demo
  console [--as USER] [--channel C]
                                  talk to opsbot in the terminal, without Slack: the real handlers, queue
                                  and database behind a local Slack stand-in (logs on stderr, LOG_LEVEL
                                  default warn); refuses to start beside a running opsbot on the same
                                  Redis and OPSBOT_QUEUE_PREFIX
  demo [--as USER]                the console on examples/demo.ops.yml: creates DATABASE_URL's database if
                                  missing, seeds its "demo" schema if missing, runs a fake API for it
  demo seed                       (re)create the "demo" schema with its seeded data
  migrate                         apply pending migrations to DATABASE_URL
  config check                    validate OPSBOT_CONFIG (default ./ops.yml) and list every problem
  audit verify                    check the audit log's hash chain in DATABASE_URL (exit 1 if broken)
  keygen                          print a new base64 256-bit backup key
  backup decrypt FILE [--key-env NAME] [--out DIR]
                                  verify and decrypt a backup artifact into DIR (default: FILE without
                                  .opsbak): one CSV per table and manifest.json; the key is read from
                                  the env var NAME (default OPSBOT_BACKUP_KEY)

Configuration comes from the environment; see README.md.`;

const ROLES: ProcessRole[] = ['all', 'web', 'worker'];

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string', default: 'all' },
      help: { type: 'boolean', short: 'h' },
      'key-env': { type: 'string', default: 'OPSBOT_BACKUP_KEY' },
      out: { type: 'string' },
      as: { type: 'string' },
      channel: { type: 'string' },
    },
  });
  const command = positionals.join(' ') || 'start';
  if (values.help || command === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (command === 'keygen') {
    console.log(generateKey());
    return 0;
  }
  if (positionals[0] === 'backup' && positionals[1] === 'decrypt') {
    return backupDecrypt(positionals.slice(2), values['key-env'], values.out);
  }
  if (command === 'console' || command === 'demo') {
    return talk(command, readEnv(withoutSlack(process.env)), values);
  }
  if (command === 'demo seed') {
    const env = readEnv(withoutSlack(process.env));
    await prepareDemoData(env.DATABASE_URL, createLogger(env.LOG_LEVEL), true, (line) => console.log(line));
    console.log(`Seeded the "demo" schema in ${redactUrl(env.DATABASE_URL)}.`);
    return 0;
  }
  const env = readEnv(process.env);
  const log = createLogger(env.LOG_LEVEL);

  if (command === 'config check') {
    const config = await loadOpsConfig(env.OPSBOT_CONFIG, process.env);
    const actions = Object.values(config.services).reduce((n, s) => n + Object.keys(s.actions).length, 0);
    console.log(
      `${env.OPSBOT_CONFIG} is valid: ${Object.keys(config.services).length} services, ${actions} actions.`,
    );
    return 0;
  }
  if (command === 'migrate') {
    const pool = createPool(env.DATABASE_URL, log);
    try {
      const applied = await migrate(pool);
      console.log(applied.length > 0 ? `Applied ${applied.join(', ')}.` : 'The database is up to date.');
    } finally {
      await pool.end();
    }
    return 0;
  }
  if (command === 'audit verify') {
    const pool = createPool(env.DATABASE_URL, log, 1);
    try {
      const report = await verifyAuditChain(pool);
      if (report.ok) {
        console.log(
          `OK: ${report.entries} audit ${report.entries === 1 ? 'entry' : 'entries'}, chain intact.`,
        );
        console.log(`Head hash: ${report.head}`);
        return 0;
      }
      const { id, at, actor, event } = report.entry;
      console.error(
        `Audit chain broken at entry #${id} (${at?.toISOString() ?? 'unreadable time'}, ${actor}, ${event}): ${report.problem}.`,
      );
      return 1;
    } finally {
      await pool.end();
    }
  }
  if (command === 'start') {
    const role = values.role as ProcessRole;
    if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}.`);
    if (!env.SLACK_BOT_TOKEN) {
      // Only a newcomer's first `npm start` (no config, role all, someone at stdin) becomes the demo. A deployment
      // that lost its token may also have a pipe for stdin (pm2, Procfile runners, `docker -i`): it must fail,
      // not become a console whose worker takes its real jobs.
      const configured = Boolean(process.env.OPSBOT_CONFIG) || (await exists(env.OPSBOT_CONFIG));
      if (configured || role !== 'all' || !stdinCanTalk()) {
        throw new UsageError(
          'SLACK_BOT_TOKEN is not set: create the Slack app from manifest.yml (see README.md), or run ' +
            '`opsbot console` to try your ops.yml without Slack.',
        );
      }
      console.error(
        `SLACK_BOT_TOKEN is not set and there is no ${env.OPSBOT_CONFIG}, so opsbot runs the demo in this ` +
          'terminal instead of connecting to Slack (README.md: Slack app setup).',
      );
      return talk('demo', readEnv(withoutSlack(process.env)), values);
    }
    const config = await loadOpsConfig(env.OPSBOT_CONFIG, process.env);
    const opsbot = await startOpsbot(env, config, log, { role });
    await new Promise<void>((resolve) => {
      const shutdown = (signal: string) => {
        log.info({ signal }, 'shutting down: finishing in-flight runs');
        process.once(signal, () => process.exit(1));
        opsbot.stop().then(resolve, (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        });
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
    return 0;
  }
  throw new UsageError(`Unknown command "${command}".\n\n${USAGE}`);
}

/** `opsbot console` and `opsbot demo`: a terminal conversation, logs on stderr (default level warn). */
async function talk(
  command: 'console' | 'demo',
  env: Env,
  values: { as?: string | undefined; channel?: string | undefined },
): Promise<number> {
  const log = createLogger(process.env.LOG_LEVEL ? env.LOG_LEVEL : 'warn', process.stderr);
  const options = {
    input: process.stdin,
    output: process.stdout,
    ...(values.as ? { user: values.as } : {}),
    ...(values.channel ? { channel: values.channel } : {}),
  };
  if (command === 'demo') await runDemo(env, log, options);
  else await runConsole(env, await loadOpsConfig(env.OPSBOT_CONFIG, process.env), log, options);
  return 0;
}

/** The environment without Slack's variables: the console brings its own stand-in for Slack. */
function withoutSlack(source: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(source).filter(([name]) => !name.startsWith('SLACK_')));
}

/** Whether someone can type to the console: a terminal, or a pipe or file a script feeds; not /dev/null. */
function stdinCanTalk(): boolean {
  if (process.stdin.isTTY) return true;
  try {
    return !fstatSync(0).isCharacterDevice();
  } catch {
    return false; // closed
  }
}

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined)) !== undefined;
}

/** `opsbot backup decrypt FILE`: nothing is written unless the artifact is authentic and intact. */
async function backupDecrypt(files: string[], keyEnv: string, out: string | undefined): Promise<number> {
  const [file] = files;
  if (!file || files.length > 1) {
    throw new UsageError('Usage: opsbot backup decrypt FILE [--key-env NAME] [--out DIR]');
  }
  const keyText = process.env[keyEnv];
  if (!keyText) throw new UsageError(`${keyEnv} is not set: export the service's backup key in it.`);
  const key = decodeKey(keyText);
  if (!key) throw new UsageError(`${keyEnv} is not a base64 256-bit key (32 bytes).`);
  const found = await stat(file).catch(() => undefined);
  if (!found?.isFile()) throw new UsageError(`${file} is not a readable file.`);
  const outDir = out ?? join(dirname(file), basename(file).replace(/\.opsbak$/, '') || 'backup');
  const manifest = await exportArtifact(file, key, outDir).catch((error: unknown) => {
    if (error instanceof BackupAuthError) {
      throw new UsageError(
        'The backup could not be authenticated (wrong key or a modified file); nothing was written.',
      );
    }
    throw error;
  });
  for (const table of manifest.tables) {
    console.log(`${table.name}: ${table.rows} rows -> ${join(outDir, `${table.name}.csv`)}`);
  }
  console.log(
    `Verified and decrypted a backup of ${manifest.service}/${manifest.database} taken ${manifest.created_at}.`,
  );
  console.log(
    "Load a table with: \\copy TABLE (COLUMNS from manifest.json) FROM 'TABLE.csv' WITH (FORMAT csv)",
  );
  return 0;
}

/** A mistake in how opsbot was invoked: printed without a stack. */
class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (
      error instanceof ConfigError ||
      error instanceof UsageError ||
      error instanceof EnvError ||
      error instanceof OpsError
    ) {
      console.error((error as Error).message);
    } else {
      console.error(error);
    }
    process.exit(1);
  },
);
