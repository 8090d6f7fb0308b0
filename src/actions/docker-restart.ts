import { z } from 'zod';
import { Duration, formatDuration } from '../config/duration.js';
import { CALL_TIMEOUT_MS, dockerCall } from '../docker/calls.js';
import { containerCount, containerFacts, containerTable, runningContainers } from '../docker/containers.js';
import { dockerFields, onComposeService, withSummary } from './docker-fields.js';
import { type ActionKind, fixedParams } from './types.js';

/** An ops.yml entry of kind `docker.restart`. */
export const DockerRestartSchema = withSummary(
  z.strictObject({
    kind: z.literal('docker.restart'),
    ...dockerFields,
    params: fixedParams('docker.restart', {}),
    /** How long each container gets to stop before the Engine kills it (Compose's default: 10 s). */
    stop_timeout: Duration.prefault('10s'),
  }),
  (config) => `Restart the ${config.service} compose service`,
);

export type DockerRestartAction = z.infer<typeof DockerRestartSchema>;

/** `docker-compose restart <service>`: every running container of the service stopped and started again. */
export const dockerRestartKind: ActionKind<DockerRestartAction> = {
  kind: 'docker.restart',
  configSchema: DockerRestartSchema,
  help: {
    line: 'Restarts every running container of a compose service (docker-compose restart), one after another, and shows their health after.',
    example: ['restart-web:  # /ops restart-web <service>', '  kind: docker.restart', '  service: web'].join(
      '\n',
    ),
  },
  // A second restart after a cut-off one restarts the containers again: left to a person to decide.
  idempotent: () => false,
  ...onComposeService,

  async plan(config, ctx) {
    const target = ctx.docker();
    const running = await containerFacts(target, await runningContainers(target, config.service, 'restart'));
    return {
      summary: `Restart ${running.length === 1 ? 'the one running container' : `the ${running.length} running containers`} of ${config.service} in compose project ${target.project}, one after another, each given ${formatDuration(config.stop_timeout)} to stop.`,
      table: containerTable(running, () => 'restart', ctx.redact),
    };
  },

  async execute(config, ctx) {
    const target = ctx.docker();
    const running = await runningContainers(target, config.service, 'restart');
    const seconds = Math.ceil(config.stop_timeout / 1000);
    for (const [i, container] of running.entries()) {
      ctx.progress(`Restarting ${container.name} (${i + 1} of ${running.length})…`);
      await dockerCall(
        target,
        `container ${container.name}`,
        () => target.docker.getContainer(container.id).restart({ t: seconds }),
        CALL_TIMEOUT_MS + config.stop_timeout,
      );
    }
    const after = await containerFacts(target, running);
    const unhealthy = after.filter((container) => container.health === 'unhealthy').length;
    return {
      summary: `Restarted ${containerCount(after.length)} of ${config.service}${
        unhealthy > 0 ? `; ${unhealthy} ${unhealthy === 1 ? 'reports' : 'report'} unhealthy` : ''
      }.`,
      table: containerTable(after, () => 'restarted', ctx.redact),
    };
  },
};
