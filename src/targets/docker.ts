import Docker from 'dockerode';
import type { ComposeSection } from '../config/compose.js';
import { own } from '../config/own.js';
import { UserError } from '../errors.js';

/** One service's Compose project: a Docker Engine client, the project, and the compose services it may touch. */
export interface DockerTarget {
  docker: Docker;
  project: string;
  /** The compose services opsbot may touch; undefined: every service of the project. */
  services: readonly string[] | undefined;
  /** Where the engine is, for messages: `unix:///var/run/docker.sock` or `tcp://h:2376` (never credentials). */
  endpoint: string;
}

/** One Docker Engine client per service with a compose section, made on first use. */
export class DockerTargets {
  private readonly clients = new Map<string, Docker>();

  constructor(private readonly services: Record<string, { compose?: ComposeSection | undefined }>) {}

  /** The Compose project of `service`; a clear error when it has no compose section. */
  target(service: string): DockerTarget {
    const compose = own(this.services, service)?.compose;
    if (!compose) throw new UserError(`${service} has no compose section in ops.yml.`);
    const engine = compose.docker;
    let docker = this.clients.get(service);
    if (!docker) {
      docker =
        'socket' in engine ? new Docker({ socketPath: engine.socket }) : new Docker(tcpOptions(engine));
      this.clients.set(service, docker);
    }
    return {
      docker,
      project: compose.project,
      services: compose.services,
      endpoint: 'socket' in engine ? `unix://${engine.socket}` : engine.host,
    };
  }
}

function tcpOptions(engine: Extract<ComposeSection['docker'], { host: string }>): Docker.DockerOptions {
  const url = new URL(engine.host.replace(/^tcp:/, 'http:'));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!engine.tls) return { protocol: 'http', host, port: Number(url.port) };
  return { protocol: 'https', host, port: Number(url.port), ...engine.tls };
}
