import { z } from 'zod';
import { UserError } from '../errors.js';
import type { ResultTable } from '../result-table.js';
import type { DockerTarget } from '../targets/docker.js';
import { dockerCall } from './calls.js';

/** The labels Compose puts on every container it creates, by which opsbot finds a service's containers. */
export const PROJECT_LABEL = 'com.docker.compose.project';
export const SERVICE_LABEL = 'com.docker.compose.service';
export const NUMBER_LABEL = 'com.docker.compose.container-number';
/** `docker-compose run` containers carry `True`: not part of the service's replicas. */
const ONEOFF_LABEL = 'com.docker.compose.oneoff';

const Labels = z.record(z.string(), z.string()).nullish();

/** One entry of GET /containers/json, the fields opsbot reads. */
const ListedContainer = z.object({
  Id: z.string(),
  Names: z.array(z.string()),
  Image: z.string(),
  State: z.string(),
  Labels,
});

/** GET /containers/{id}/json, the fields opsbot reads; every other field is kept (a scale-up copies them). */
export const InspectedContainer = z.looseObject({
  Id: z.string(),
  Name: z.string(),
  Config: z.looseObject({ Image: z.string(), Hostname: z.string().optional(), Labels }),
  State: z.looseObject({
    Status: z.string(),
    StartedAt: z.string().optional(),
    Health: z.looseObject({ Status: z.string() }).nullish(),
  }),
  HostConfig: z
    .looseObject({
      PortBindings: z
        .record(z.string(), z.array(z.looseObject({ HostPort: z.string().optional() })).nullable())
        .nullish(),
    })
    .optional(),
  NetworkSettings: z
    .looseObject({
      Networks: z.record(z.string(), z.looseObject({ Aliases: z.array(z.string()).nullish() })).nullish(),
    })
    .optional(),
});
export type InspectedContainer = z.infer<typeof InspectedContainer>;

/** A container of a compose service, as listed. */
export interface ComposeContainer {
  id: string;
  /** `ai-benchmark-web-1`. */
  name: string;
  /** Its `com.docker.compose.container-number` (0 when it has none). */
  number: number;
  image: string;
  /** `running`, `exited`, `restarting`, `created`, ... */
  state: string;
}

/** What plans and results show of a container: its listing, when it started, and its health check's verdict. */
export interface ContainerFacts extends ComposeContainer {
  startedAt: string | undefined;
  /** `healthy`, `unhealthy`, `starting`; undefined when the container has no health check. */
  health: string | undefined;
}

/** A compose service the service's config does not list is refused before calling the Engine. */
export function refuseUnlisted(target: DockerTarget, service: string): void {
  if (target.services && !target.services.includes(service)) {
    throw new UserError(
      `${service} is not one of the compose services opsbot may touch in ${target.project} (${target.services.join(', ')}).`,
    );
  }
}

/**
 * The containers of a compose service (with `all`, stopped ones too), found by their project and service
 * labels as `docker-compose ps` finds them, in container-number order; one-off `run` containers left out.
 */
export async function serviceContainers(
  target: DockerTarget,
  service: string,
  options: { all: boolean },
): Promise<ComposeContainer[]> {
  refuseUnlisted(target, service);
  const listed = await dockerCall(target, `compose service ${service}`, () =>
    target.docker.listContainers({
      all: options.all,
      filters: { label: [`${PROJECT_LABEL}=${target.project}`, `${SERVICE_LABEL}=${service}`] },
    }),
  );
  return z
    .array(ListedContainer)
    .parse(listed)
    .filter((container) => container.Labels?.[ONEOFF_LABEL] !== 'True')
    .map((container) => ({
      id: container.Id,
      name: (container.Names[0] ?? container.Id.slice(0, 12)).replace(/^\//, ''),
      number: Number(container.Labels?.[NUMBER_LABEL] ?? 0) || 0,
      image: container.Image,
      state: container.State,
    }))
    .sort((a, b) => a.number - b.number);
}

/** The running containers of a compose service; a clear error when there is none. */
export async function runningContainers(
  target: DockerTarget,
  service: string,
  purpose: string,
): Promise<[ComposeContainer, ...ComposeContainer[]]> {
  const [first, ...rest] = await serviceContainers(target, service, { all: false });
  if (!first) {
    throw new UserError(
      `${service} has no running container in compose project ${target.project} to ${purpose}; start it with docker-compose up -d ${service}.`,
    );
  }
  return [first, ...rest];
}

/** GET /containers/{id}/json, as served. */
export async function inspectContainer(
  target: DockerTarget,
  container: ComposeContainer,
): Promise<InspectedContainer> {
  const inspected = await dockerCall(target, `container ${container.name}`, () =>
    target.docker.getContainer(container.id).inspect(),
  );
  return InspectedContainer.parse(inspected);
}

/** Each container with when it started and its health, read one by one. */
export async function containerFacts(
  target: DockerTarget,
  containers: readonly ComposeContainer[],
): Promise<ContainerFacts[]> {
  const facts: ContainerFacts[] = [];
  for (const container of containers) {
    const inspected = await inspectContainer(target, container);
    facts.push({
      ...container,
      state: inspected.State.Status,
      startedAt: inspected.State.StartedAt?.replace(/\.\d+Z$/, 'Z'),
      health: inspected.State.Health?.Status,
    });
  }
  return facts;
}

/** One row per container, with what the action does to it in the last column; what the Engine said, redacted. */
export function containerTable(
  containers: readonly ContainerFacts[],
  change: (container: ContainerFacts) => string,
  redact: (text: string) => string,
): ResultTable {
  return {
    columns: ['container', 'image', 'state', 'started at', 'health', 'change'],
    rows: containers.map((container) =>
      [
        container.name,
        container.image,
        container.state,
        container.startedAt ?? '',
        container.health ?? '',
        change(container),
      ].map(redact),
    ),
    total: containers.length,
  };
}

/** `1 container`, `3 containers`. */
export function containerCount(count: number): string {
  return `${count} ${count === 1 ? 'container' : 'containers'}`;
}
