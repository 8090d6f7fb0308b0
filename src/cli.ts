#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { verifyAuditChain } from './audit/verify.js';
import { EnvError, readEnv } from './config/env.js';
import { ConfigError, loadOpsConfig } from './config/load.js';
import { migrate } from './db/migrate.js';
import { createPool } from './db/pool.js';
import { OpsError } from './errors.js';
import { createLogger } from './log.js';
import { type ProcessRole, startOpsbot } from './opsbot.js';

const USAGE = `Usage: opsbot <command>

  start [--role all|web|worker]   run opsbot (default role: all)
  migrate                         apply pending migrations to DATABASE_URL
  config check                    validate OPSBOT_CONFIG (default ./ops.yml) and list every problem
  audit verify                    check the audit log's hash chain in DATABASE_URL (exit 1 if broken)

Configuration comes from the environment; see README.md.`;

const ROLES: ProcessRole[] = ['all', 'web', 'worker'];

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { role: { type: 'string', default: 'all' }, help: { type: 'boolean', short: 'h' } },
  });
  const command = positionals.join(' ');
  if (values.help || command === '' || command === 'help') {
    console.log(USAGE);
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
      throw new UsageError(
        'SLACK_BOT_TOKEN is not set: create the Slack app from manifest.yml (see README.md).',
      );
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
