import { Readable } from 'node:stream';
import type pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { parseOpsConfig } from '../../src/config/load.js';
import { runConsole } from '../../src/console/run-console.js';
import { createPool } from '../../src/db/pool.js';
import type { Logger } from '../../src/log.js';
import { createBenthamJobs } from './bentham-fixture.js';
import { collectInto } from './collect.js';
import { createTestDatabase } from './databases.js';
import { testConfigText } from './harness.js';
import { deleteKeys } from './redis-keys.js';
import { queuePrefix, TEST_REDIS_URL } from './test-env.js';

/** Where a console test's opsbot keeps its data and logs. */
export interface ConsoleSetup {
  databaseUrl: string;
  benthamUrl: string;
  queuePrefix: string;
  log: Logger;
  /** ops.yml to start with instead of testConfigText(). */
  configText?: string;
}

/** A console test file's databases: opsbot's own and Bentham's, seeded. */
export interface ConsoleFixture {
  /** The console on piped lines, typed as `user`; resolves with what it printed. */
  run(lines: Iterable<string> | AsyncIterable<string>, user?: string): Promise<string>;
  /** opsbot's database. */
  readonly db: pg.Pool;
  /** Bentham's database, with its jobs. */
  readonly bentham: pg.Pool;
}

/** Makes the databases and queue prefix before the file's tests and removes them after. */
export function useConsoleFixture(name: string, log: Logger, configText?: string): ConsoleFixture {
  const prefix = queuePrefix(name);
  let own: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let target: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let bentham: pg.Pool | undefined;
  let db: pg.Pool | undefined;
  beforeAll(async () => {
    own = await createTestDatabase('opsbot_test');
    target = await createTestDatabase('bentham_test');
    bentham = await createBenthamJobs(target.url);
    db = createPool(own.url, log, 1);
  });
  afterAll(async () => {
    await db?.end();
    await bentham?.end();
    await own?.drop();
    await target?.drop();
    await deleteKeys(prefix);
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the console fixture is used before its beforeAll ran');
    return value;
  };
  return {
    run: (lines, user) =>
      consoleTranscript(
        {
          databaseUrl: ready(own).url,
          benthamUrl: ready(target).url,
          queuePrefix: prefix,
          log,
          ...(configText ? { configText } : {}),
        },
        lines,
        user,
      ),
    get db() {
      return ready(db);
    },
    get bentham() {
      return ready(bentham);
    },
  };
}

/** Runs the console on piped lines, as `opsbot console < script` would, and returns what it printed. */
export async function consoleTranscript(
  setup: ConsoleSetup,
  lines: Iterable<string> | AsyncIterable<string>,
  user?: string,
): Promise<string> {
  const vars = {
    DATABASE_URL: setup.databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    OPSBOT_QUEUE_PREFIX: setup.queuePrefix,
    BENTHAM_DATABASE_URL: setup.benthamUrl,
    BENTHAM_URL: 'https://api.bentham.example',
    BENTHAM_REDIS_URL: TEST_REDIS_URL,
  };
  const printed: string[] = [];
  const output = collectInto(printed);
  await runConsole(readEnv(vars), parseOpsConfig(setup.configText ?? testConfigText(), vars), setup.log, {
    input: Readable.from(withNewlines(lines)),
    output,
    ...(user ? { user } : {}),
    startOptions: { incidentTickMs: 60_000 },
  });
  return printed.join('');
}

async function* withNewlines(lines: Iterable<string> | AsyncIterable<string>) {
  for await (const line of lines) yield `${line}\n`;
}

/** The part of a transcript after the line typed as `typed` and before the next typed line. */
export function replyTo(transcript: string, typed: string): string {
  const start = transcript.indexOf(`> ${typed}\n`);
  expect(start, `"${typed}" was typed`).toBeGreaterThanOrEqual(0);
  const rest = transcript.slice(start + typed.length + 3);
  const next = rest.search(/^\S+ in \S+> /m);
  return next === -1 ? rest : rest.slice(0, next);
}
