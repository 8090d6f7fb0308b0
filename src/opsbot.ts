import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Env } from './config/env.js';
import type { OpsConfig } from './config/ops-config.js';
import { buildCore } from './core.js';
import { InFlight } from './handlers/handle.js';
import { serveRoutes } from './http/routes.js';
import type { Logger } from './log.js';
import type { RunExecutor } from './runs/executor.js';
import type { RunService } from './runs/service.js';
import type { StartOptions } from './start-options.js';
import { startWeb } from './start-web.js';
import { startWorker } from './start-worker.js';

export type { ProcessRole, StartOptions } from './start-options.js';

/** A running opsbot process. */
export interface Opsbot {
  port: number;
  runs: RunService;
  executor: RunExecutor;
  /** Slack handler executions under way (Bolt acks first, so an answered request may still be working). */
  inFlight(): number;
  /**
   * Graceful shutdown: stop taking work, let in-flight runs finish (for at most OPSBOT_SHUTDOWN_GRACE), close
   * every pool; resolves when the process may exit.
   */
  stop(): Promise<void>;
}

/** Builds opsbot's core once and starts on it the parts its role runs (DESIGN §9). */
export async function startOpsbot(
  env: Env,
  config: OpsConfig,
  log: Logger,
  options: StartOptions,
): Promise<Opsbot> {
  const core = await buildCore(env, config, log, options);
  const stops: (() => Promise<unknown>)[] = [];
  const inFlight = new InFlight();
  let server: Server | undefined;
  if (options.role !== 'worker') {
    const web = await startWeb(core, inFlight);
    server = web.server;
    stops.push(web.stop);
  } else {
    server = await serveRoutes(core.routes, env.PORT);
    const routesServer = server;
    stops.push(() => new Promise((resolve) => routesServer.close(resolve)));
  }
  const stopWorker = options.role !== 'web' ? await startWorker(core) : undefined;

  const port = (server?.address() as AddressInfo | null)?.port ?? env.PORT;
  log.info({ role: options.role, port, socketMode: Boolean(env.SLACK_APP_TOKEN) }, 'opsbot started');
  let stopping: Promise<void> | undefined;
  const stopAll = async () => {
    for (const stop of stops) await stop();
    // false when the shutdown grace ran out with actions still executing: they are cut off as the process exits.
    if ((await stopWorker?.()) ?? true) await core.close();
    else {
      // Their connections are still in use: closing waits for them, exiting does not.
      void core.close().catch((error: unknown) => log.warn({ err: error }, 'closing after the grace failed'));
    }
    log.info('opsbot stopped');
  };
  return {
    port,
    runs: core.services.runs,
    executor: core.services.executor,
    inFlight: () => inFlight.count(),
    stop: () => {
      stopping ??= stopAll();
      return stopping;
    },
  };
}
