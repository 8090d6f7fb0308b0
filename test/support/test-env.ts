import { randomBytes } from 'node:crypto';
import type { FakeSlack } from './fake-slack.js';
import { SIGNING_SECRET } from './signed-requests.js';

export const BOT_TOKEN = 'xoxb-test-0000-SECRETBOTTOKEN';

/** A BullMQ prefix of one test run's own, so parallel runs and leftovers never meet. */
export function queuePrefix(name: string): string {
  return `{${name}_${randomBytes(4).toString('hex')}}`;
}

/** The environment tests start opsbot with: the fake Slack, a throwaway database, their own queue prefix. */
export function testVars(slack: FakeSlack, databaseUrl: string, prefix: string): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    DATABASE_URL: databaseUrl,
    OPSBOT_QUEUE_PREFIX: prefix,
    PORT: '0',
  };
}
