import { z } from 'zod';
import type { DockerTarget } from '../targets/docker.js';
import { dockerCall } from './calls.js';
import { type InspectedContainer, NUMBER_LABEL } from './containers.js';

/** POST /containers/create's answer. */
const Created = z.object({ Id: z.string() });

/** The body of POST /containers/create for a container like `source`: what `docker-compose up --scale` sends. */
export interface CloneBody extends Record<string, unknown> {
  Labels: Record<string, string>;
  HostConfig: Record<string, unknown>;
  NetworkingConfig: { EndpointsConfig: Record<string, { Aliases: string[] }> };
}

/** `<project>-<service>-<n>`, the name Compose (v2) gives container number n of a service. */
export function containerName(project: string, service: string, number: number): string {
  return `${project}-${service}-${number}`;
}

/**
 * A copy of `source` as container number `number`: the same image and config (labels with the new
 * container number), host config and networks with their aliases. The source's hostname is left out when
 * it is the Engine's default (its own short id), and fixed IP addresses are not copied: they would clash.
 */
export function cloneBody(source: InspectedContainer, number: number): CloneBody {
  const { Hostname, ...config } = source.Config;
  const shortId = source.Id.slice(0, 12);
  const endpoints = Object.entries(source.NetworkSettings?.Networks ?? {}).map(([network, endpoint]) => [
    network,
    { Aliases: (endpoint.Aliases ?? []).filter((alias) => alias !== shortId) },
  ]);
  return {
    ...config,
    ...(Hostname && Hostname !== shortId ? { Hostname } : {}),
    Labels: { ...(source.Config.Labels ?? {}), [NUMBER_LABEL]: String(number) },
    HostConfig: { ...(source.HostConfig ?? {}) },
    // Several networks at create needs Engine API 1.44 (Docker 25); Compose connects them the same way.
    NetworkingConfig: { EndpointsConfig: Object.fromEntries(endpoints) },
  };
}

/** Host ports `source` publishes at a fixed number: a second container of it could not bind them. */
export function fixedHostPorts(source: InspectedContainer): string[] {
  const bindings = Object.values(source.HostConfig?.PortBindings ?? {}).flatMap((list) => list ?? []);
  return [
    ...new Set(bindings.map((binding) => binding.HostPort ?? '').filter((port) => /^[1-9]\d*$/.test(port))),
  ];
}

/** POST /containers/create?name=…; the id of the new container. */
export async function createContainer(target: DockerTarget, name: string, body: CloneBody): Promise<string> {
  const created = await dockerCall(
    target,
    `container ${name}`,
    () =>
      new Promise<unknown>((resolve, reject) =>
        // Through the modem, as dockerode's createContainer would also put the whole body in the query string.
        target.docker.modem.dial(
          {
            path: '/containers/create?',
            method: 'POST',
            options: { _query: { name }, _body: body },
            statusCodes: {
              200: true,
              201: true,
              400: 'bad parameter',
              404: 'no such image',
              409: 'conflict',
            },
          },
          (error, result) => (error ? reject(error) : resolve(result)),
        ),
      ),
  );
  return Created.parse(created).Id;
}
