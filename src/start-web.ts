import { Server } from 'node:http';
import type { Core } from './core.js';
import { describeError } from './describe-error.js';
import { UnavailableError } from './errors.js';
import type { InFlight } from './handlers/handle.js';
import { registerHandlers } from './handlers/index.js';
import { pagerDutyWebhook } from './pagerduty/start.js';
import { createBoltApp } from './slack/transport/bolt-app.js';

/**
 * Starts the web role (DESIGN §9) on the core: the Slack app with its listeners, the PagerDuty webhook and the
 * operational routes. Returns its HTTP server (none in Socket Mode) and its stop.
 */
export async function startWeb(
  core: Core,
  inFlight: InFlight,
): Promise<{ server: Server | undefined; stop(): Promise<void> }> {
  const { env, config, log } = core;
  const pagerDuty = pagerDutyWebhook({
    env,
    config,
    pool: core.pool,
    queue: core.queues.pagerDuty,
    outages: core.outages,
    log,
  });
  // The webhook first: Bolt compiles each route's pattern on every request until one matches.
  const app = createBoltApp(env, [core.metrics.countPagerDutyWebhooks(pagerDuty.route), ...core.routes], log);
  await app.init().catch((error: unknown) => {
    throw new UnavailableError(`Slack could not verify SLACK_BOT_TOKEN (${describeError(error)}).`);
  });
  registerHandlers(app, {
    ...core.services,
    config,
    access: core.access,
    log,
    metrics: core.metrics,
    inFlight,
    outages: core.outages,
  });
  app.error(async (error) => log.error({ err: error }, 'unhandled Slack error'));
  const started = await app.start(env.PORT);
  // HTTP mode returns its server; Socket Mode returns the connection it opened (its routes listen on PORT).
  const server = started instanceof Server ? started : undefined;
  if (server) core.metrics.observeSlackAcks(server);
  return {
    server,
    stop: async () => {
      await app.stop();
    },
  };
}
