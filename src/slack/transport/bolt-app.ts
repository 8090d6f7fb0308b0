import { App, HTTPReceiver, SocketModeReceiver } from '@slack/bolt';
import type { Env } from '../../config/env.js';
import type { Route } from '../../http/routes.js';
import type { Logger } from '../../log.js';
import { slackLogger } from './bolt-logger.js';
import { SLACK_RETRIES } from './web-client.js';

/**
 * The Bolt app: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on `POST /slack/events`
 * (signatures and timestamps checked by the receiver). `routes` are served on the same port either way.
 */
export function createBoltApp(env: Env, routes: Route[], log: Logger): App {
  const logger = slackLogger(log);
  const clientOptions = { slackApiUrl: env.SLACK_API_URL, retryConfig: SLACK_RETRIES, timeout: 10_000 };
  const receiver = env.SLACK_APP_TOKEN
    ? new SocketModeReceiver({
        appToken: env.SLACK_APP_TOKEN,
        customRoutes: routes,
        // The socket client opens its connection through the Web API, so it needs SLACK_API_URL too.
        installerOptions: { port: env.PORT, clientOptions },
        logger,
      })
    : new HTTPReceiver({
        signingSecret: env.SLACK_SIGNING_SECRET ?? '',
        endpoints: '/slack/events',
        customRoutes: routes,
        processBeforeResponse: false,
        unhandledRequestTimeoutMillis: 2_500,
        logger,
      });
  return new App({
    token: env.SLACK_BOT_TOKEN,
    receiver,
    logger,
    clientOptions,
    // The token is verified by `init()`, awaited at start-up, so a bad token fails start-up clearly.
    deferInitialization: true,
  });
}
