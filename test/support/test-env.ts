import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { FakeSlack } from './fake-slack.js';
import { SIGNING_SECRET } from './signed-requests.js';

export const BOT_TOKEN = 'xoxb-test-0000-SECRETBOTTOKEN';

/**
 * Where tests find PostgreSQL and Redis, the one place that says so: OPSBOT_TEST_DATABASE_URL (a database
 * on a server where the role may CREATE DATABASE; tests make their throwaway databases beside it) and
 * OPSBOT_TEST_REDIS_URL, defaulting to the local servers. Not DATABASE_URL/REDIS_URL, so a shell set up
 * to run opsbot never points the tests at opsbot's own data.
 */
const TestEnvSchema = z.object({
  OPSBOT_TEST_DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/postgres'),
  OPSBOT_TEST_REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
});

const testEnv = TestEnvSchema.parse({
  OPSBOT_TEST_DATABASE_URL: process.env.OPSBOT_TEST_DATABASE_URL || undefined,
  OPSBOT_TEST_REDIS_URL: process.env.OPSBOT_TEST_REDIS_URL || undefined,
});

/** The database tests connect to for creating and dropping their own (by default `postgres` on 127.0.0.1:5432). */
export const TEST_DATABASE_URL = testEnv.OPSBOT_TEST_DATABASE_URL;

/** The Redis every test, and every opsbot a test starts, uses (by default 127.0.0.1:6379). */
export const TEST_REDIS_URL = testEnv.OPSBOT_TEST_REDIS_URL;

/** The URL of the database `name` on the tests' PostgreSQL server (or `server`'s), with the same role. */
export function testDatabaseUrl(name: string, server = TEST_DATABASE_URL): string {
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A BullMQ prefix of one test run's own, so parallel runs and leftovers never meet. */
export function queuePrefix(name: string): string {
  return `{${name}_${randomBytes(4).toString('hex')}}`;
}

/** The environment tests start opsbot with: the fake Slack, a throwaway database, the tests' Redis, their own queue prefix. */
export function testVars(slack: FakeSlack, databaseUrl: string, prefix: string): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    OPSBOT_QUEUE_PREFIX: prefix,
    PORT: '0',
  };
}
