import { z } from 'zod';
import { Duration } from '../config/duration.js';
import { CALL_TIMEOUT_MS, dockerCall } from '../docker/calls.js';
import {
  type CloneBody,
  cloneBody,
  containerName,
  createContainer,
  fixedHostPorts,
} from '../docker/clone.js';
import {
  type ComposeContainer,
  containerCount,
  containerFacts,
  containerTable,
  inspectContainer,
  serviceContainers,
} from '../docker/containers.js';
import { OpsError, UserError } from '../errors.js';
import type { DockerTarget } from '../targets/docker.js';
import { composeServiceProblems, dockerFields, onComposeService, withSummary } from './docker-fields.js';
import { ParamsSchema, type ParamValues } from './params.js';
import { type ActionKind, fixedParams } from './types.js';

/** `/ops scale-web <service> 3`; the bounds are the action's min and max. */
const SCALE_PARAMS = ParamsSchema.parse({
  replicas: { type: 'integer', min: 0, description: 'How many containers the compose service should have' },
});

/** Container states with no process to stop. */
const NOT_RUNNING = ['created', 'exited', 'dead'];

/** An ops.yml entry of kind `docker.scale`. */
export const DockerScaleSchema = withSummary(
  z.strictObject({
    kind: z.literal('docker.scale'),
    ...dockerFields,
    params: fixedParams('docker.scale', SCALE_PARAMS),
    min: z.number().int().min(0),
    max: z.number().int().min(0),
    /** How long each container removed by a scale-down gets to stop before the Engine kills it. */
    stop_timeout: Duration.prefault('10s'),
  }),
  (config) =>
    `Set how many containers the ${config.service} compose service runs (${config.min} to ${config.max})`,
);

export type DockerScaleAction = z.infer<typeof DockerScaleSchema>;

/** What a scale changes: containers to create (copies of one of the service), or to stop and remove. */
interface ScaleChange {
  before: ComposeContainer[];
  replicas: number;
  /** New containers with the body each is created from, copies of `copyOf`. */
  create: { name: string; body: CloneBody }[];
  remove: ComposeContainer[];
  copyOf: { name: string; image: string } | undefined;
}

/** `docker-compose up --scale <service>=N -d`: copies of a container created and started, or the highest-numbered removed. */
export const dockerScaleKind: ActionKind<DockerScaleAction> = {
  kind: 'docker.scale',
  configSchema: DockerScaleSchema,
  help: {
    line: "Sets how many containers a compose service has (docker-compose up --scale), within the action's min and max: copies of a container created, or the highest-numbered removed.",
    example: [
      'scale-web:  # /ops scale-web <service> 3',
      '  kind: docker.scale',
      '  service: web',
      '  min: 1',
      '  max: 4',
    ].join('\n'),
  },
  idempotent: () => true,
  target: onComposeService.target,

  constraints(config, params) {
    return boundsProblem(config, params);
  },

  check(config, service) {
    const problems = composeServiceProblems(config.service, service);
    if (config.min > config.max) {
      problems.push({ path: ['min'], message: `must not be above max (${config.max})` });
    }
    return problems;
  },

  async plan(config, ctx) {
    const target = ctx.docker();
    const change = await scaleChange(target, config, ctx.params);
    const facts = await containerFacts(target, change.before);
    const removed = new Set(change.remove.map((container) => container.id));
    const table = containerTable(facts, (c) => (removed.has(c.id) ? 'stop and remove' : 'keep'), ctx.redact);
    for (const created of change.create) {
      table.rows.push(
        [
          created.name,
          change.copyOf?.image ?? '',
          'not created yet',
          '',
          '',
          `create (copy of ${change.copyOf?.name})`,
        ].map(ctx.redact),
      );
    }
    table.total = table.rows.length;
    return { summary: changeSummary(target, config, change), table };
  },

  async execute(config, ctx) {
    const target = ctx.docker();
    const change = await scaleChange(target, config, ctx.params);
    // What is done so far, for the error when a later container fails: the run stops there, and says so.
    const steps: string[] = [];
    let count = change.before.length;
    try {
      for (const created of change.create) {
        ctx.progress(`Creating ${created.name}…`);
        await createAndStart(target, created.name, created.body);
        steps.push(`created and started ${created.name}`);
        count++;
      }
      for (const container of change.remove) {
        ctx.progress(`Stopping and removing ${container.name}…`);
        const handle = target.docker.getContainer(container.id);
        // The Engine answers 304 to stopping a container that is not running.
        if (!NOT_RUNNING.includes(container.state)) {
          await dockerCall(
            target,
            `container ${container.name}`,
            () => handle.stop({ t: Math.ceil(config.stop_timeout / 1000) }),
            CALL_TIMEOUT_MS + config.stop_timeout,
          );
        }
        await dockerCall(target, `container ${container.name}`, () => handle.remove());
        steps.push(`removed ${container.name}`);
        count--;
      }
    } catch (error) {
      if (steps.length === 0) throw error;
      // What was done goes first: the card's error line keeps 300 characters, and the Engine's may be long.
      const reason = error instanceof Error ? error.message : String(error);
      throw sameKind(
        error,
        `${config.service} has ${containerCount(count)} of the ${change.replicas} asked for (opsbot ${steps.join(', ')}), then: ${reason}`,
      );
    }
    const after = await containerFacts(
      target,
      await serviceContainers(target, config.service, { all: true }),
    );
    const done =
      change.create.length > 0
        ? `created ${change.create.map((c) => c.name).join(', ')}`
        : change.remove.length > 0
          ? `removed ${change.remove.map((c) => c.name).join(', ')}`
          : 'nothing changed';
    return {
      summary: `Scaled ${config.service} from ${change.before.length} to ${containerCount(after.length)}: ${done}.`,
      table: containerTable(
        after,
        (c) => (change.create.some((n) => n.name === c.name) ? 'created' : 'kept'),
        ctx.redact,
      ),
    };
  },
};

/**
 * Creates a container and starts it. One that cannot be started is removed again: left created, it would
 * count as one of the service's containers when the scale is run again, and stay stopped.
 */
async function createAndStart(target: DockerTarget, name: string, body: CloneBody): Promise<void> {
  const id = await createContainer(target, name, body);
  const handle = target.docker.getContainer(id);
  try {
    await dockerCall(target, `container ${name}`, () => handle.start());
  } catch (error) {
    const removed = await dockerCall(target, `container ${name}`, () => handle.remove({ force: true })).then(
      () => true,
      () => false,
    );
    if (removed) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw sameKind(
      error,
      `${name} was left created but not started (remove it with docker rm ${name}): ${reason}`,
    );
  }
}

/** An error of the same kind (user, unavailable, ...) as `error`, with a message saying more. */
function sameKind(error: unknown, message: string): Error {
  return error instanceof OpsError ? new OpsError(error.code, message) : new Error(message);
}

/**
 * Reads the service's containers and works out the change, as Compose would: new containers numbered after
 * the highest, copied from a running one (else any); the highest-numbered removed first. Refused when there
 * is nothing to copy, or when the copy would publish a fixed host port the first already holds.
 */
async function scaleChange(
  target: DockerTarget,
  config: DockerScaleAction,
  params: ParamValues,
): Promise<ScaleChange> {
  const replicas = replicasOf(config, params);
  const before = await serviceContainers(target, config.service, { all: true });
  const remove = [...before].reverse().slice(0, Math.max(0, before.length - replicas));
  if (replicas <= before.length) return { before, replicas, create: [], remove, copyOf: undefined };
  const model = before.find((container) => container.state === 'running') ?? before[0];
  if (!model) {
    throw new UserError(
      `${config.service} has no container in compose project ${target.project} for opsbot to copy, so it cannot scale it up; create one first with docker-compose up -d ${config.service}.`,
    );
  }
  const source = await inspectContainer(target, model);
  const ports = fixedHostPorts(source);
  if (ports.length > 0) {
    throw new UserError(
      `${config.service} publishes fixed host ${ports.length === 1 ? 'port' : 'ports'} ${ports.join(', ')}, which a second container could not bind (docker-compose up --scale fails the same way), so it cannot be scaled up.`,
    );
  }
  const highest = before.reduce((max, container) => Math.max(max, container.number), 0);
  const create = Array.from({ length: replicas - before.length }, (_, i) => ({
    name: containerName(target.project, config.service, highest + i + 1),
    body: cloneBody(source, highest + i + 1),
  }));
  return { before, replicas, create, remove: [], copyOf: { name: model.name, image: source.Config.Image } };
}

function changeSummary(target: DockerTarget, config: DockerScaleAction, change: ScaleChange): string {
  const from = `${config.service} in compose project ${target.project}`;
  if (change.create.length > 0) {
    return `Scale ${from} from ${change.before.length} to ${containerCount(change.replicas)}: create and start ${change.create.map((c) => c.name).join(', ')} (copies of ${change.copyOf?.name}).`;
  }
  if (change.remove.length > 0) {
    return `Scale ${from} from ${change.before.length} to ${containerCount(change.replicas)}: stop and remove ${change.remove.map((c) => c.name).join(', ')}.`;
  }
  return `${from} already has ${containerCount(change.replicas)}; scaling changes nothing.`;
}

/** Why this replica count may not be used, if it may not. */
function boundsProblem(config: DockerScaleAction, params: ParamValues): string | undefined {
  const replicas = params.replicas;
  if (typeof replicas !== 'number') return undefined;
  if (replicas < config.min || replicas > config.max) {
    return `${replicas} containers is outside what this action allows for ${config.service} (${config.min} to ${config.max}).`;
  }
  return undefined;
}

function replicasOf(config: DockerScaleAction, params: ParamValues): number {
  const problem = boundsProblem(config, params);
  if (problem) throw new UserError(problem);
  const replicas = params.replicas;
  if (typeof replicas !== 'number') throw new UserError('Say how many containers, e.g. `replicas=3`.');
  return replicas;
}
