import { Readable, Writable } from 'node:stream';
import { expect } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { parseOpsConfig } from '../../src/config/load.js';
import { runConsole } from '../../src/console/run-console.js';
import type { Logger } from '../../src/log.js';
import { testConfigText } from './harness.js';

/** Where a console test's opsbot keeps its data and logs. */
export interface ConsoleSetup {
  databaseUrl: string;
  benthamUrl: string;
  queuePrefix: string;
  log: Logger;
}

/** Runs the console on piped lines, as `opsbot console < script` would, and returns what it printed. */
export async function consoleTranscript(
  setup: ConsoleSetup,
  lines: Iterable<string> | AsyncIterable<string>,
  user?: string,
): Promise<string> {
  const vars = {
    DATABASE_URL: setup.databaseUrl,
    OPSBOT_QUEUE_PREFIX: setup.queuePrefix,
    BENTHAM_DATABASE_URL: setup.benthamUrl,
    BENTHAM_URL: 'https://api.bentham.example',
  };
  const printed: string[] = [];
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      printed.push(chunk.toString('utf8'));
      done();
    },
  });
  await runConsole(readEnv(vars), parseOpsConfig(testConfigText(), vars), setup.log, {
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
