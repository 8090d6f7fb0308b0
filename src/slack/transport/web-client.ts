import { WebClient } from '@slack/web-api';
import type { Env } from '../../config/env.js';
import type { Logger } from '../../log.js';
import { slackLogger } from './bolt-logger.js';

/** Bounded retries: Slack's default retries for up to half an hour, far past any user's patience. */
export const SLACK_RETRIES = { retries: 3, factor: 2, minTimeout: 200, maxTimeout: 2_000 };

/**
 * The Web API client for Slack calls outside a listener other than the outbox's channel messages
 * (src/slack/outbox/, which has a client of its own): auth.test, user groups, channels, files.
 */
export function createWebClient(env: Pick<Env, 'SLACK_BOT_TOKEN' | 'SLACK_API_URL'>, log: Logger): WebClient {
  return new WebClient(env.SLACK_BOT_TOKEN, {
    slackApiUrl: env.SLACK_API_URL,
    logger: slackLogger(log),
    timeout: 10_000,
    retryConfig: SLACK_RETRIES,
  });
}
