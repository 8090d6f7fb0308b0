import { type Authority, authorize } from '../auth/authorizer.js';
import { ComposeName } from '../config/compose.js';
import type { OpsConfig, ServiceConfig } from '../config/ops-config.js';
import { own } from '../config/own.js';
import { NotFoundError } from '../errors.js';
import type { Redactor } from '../exec/redactor.js';
import type { DockerTargets } from '../targets/docker.js';
import type { KubernetesTargets } from '../targets/kubernetes.js';
import { filtering, type LogFilter, selectLines } from './filter.js';
import type { LogLine, LogReaders, LogWindow } from './log-lines.js';

/** The most lines `/ops logs` shows (`tail=`); 100 unless asked. */
export const MAX_TAIL = 1000;

/** Lines read from each container when a filter is given, so that the last matches can be found among them. */
export const FILTERED_READ = 5000;

/** The most characters of one line kept (after redaction, so no secret is cut in two and half shown). */
export const MAX_LINE_CHARS = 4000;

/** What `/ops logs <service> <deployment|compose-service> …` asks for. */
export interface LogsRequest {
  actor: string;
  service: string;
  /** A deployment of the service's kubernetes section, or one of its compose services. */
  name: string;
  sinceMs: number;
  tail: number;
  filter: LogFilter;
}

/** The lines to show (redacted, capped, newest last) and how many were read, from how many containers. */
export interface LogsResult {
  /** `deployment api-gateway in bentham-prod`, `compose service web of ai-benchmark`. */
  from: string;
  lines: LogLine[];
  /** Lines that passed the filter (all read, without one); `lines` are the last of them. */
  matched: number;
  read: number;
  containers: number;
  /** The filter as the answer may repeat it: `grep` redacted, so a secret typed into it is never posted. */
  filter: LogFilter;
}

export interface LogsServiceDeps extends Authority {
  config: Pick<OpsConfig, 'services'>;
  kubernetes: Pick<KubernetesTargets, 'target'>;
  docker: Pick<DockerTargets, 'target'>;
  readers: LogReaders;
  redactor: Pick<Redactor, 'redact'>;
}

/** `/ops logs`: the last lines of a deployment's pods or a compose service's containers, for `logs.role`. */
export class LogsService {
  constructor(private readonly deps: LogsServiceDeps) {}

  async read(request: LogsRequest): Promise<LogsResult> {
    const { actor, service, name, filter } = request;
    const settings = own(this.deps.config.services, service);
    if (!settings) throw new NotFoundError(`There is no service called ${service}.`);
    await authorize(this.deps, {
      kind: 'service',
      actor,
      service,
      action: 'logs',
      requiredRole: settings.logs.role,
    });
    const window: LogWindow = {
      sinceSeconds: Math.max(1, Math.ceil(request.sinceMs / 1000)),
      tail: filtering(filter) ? Math.max(FILTERED_READ, request.tail) : request.tail,
    };
    const { from, read } = this.source(service, name, settings);
    const lines = (await read(window)).map((line) => ({
      ...line,
      text: cut(this.deps.redactor.redact(line.text)),
    }));
    return {
      from,
      ...selectLines(lines, filter, request.tail),
      read: lines.length,
      containers: new Set(lines.map((line) => line.source)).size,
      filter: {
        ...filter,
        grep: filter.grep === undefined ? undefined : this.deps.redactor.redact(filter.grep),
      },
    };
  }

  /** Where `name` is: one of the deployments, else one of the compose services; one sentence otherwise. */
  private source(
    service: string,
    name: string,
    settings: ServiceConfig,
  ): { from: string; read: (window: LogWindow) => Promise<LogLine[]> } {
    const { kubernetes, compose } = settings;
    if (kubernetes?.deployments.includes(name)) {
      const target = this.deps.kubernetes.target(service);
      return {
        from: `deployment ${name} in ${target.namespace}`,
        read: (window) => this.deps.readers.kubernetes(target, name, window),
      };
    }
    const services = compose?.services;
    if (compose && (services ? services.includes(name) : ComposeName.safeParse(name).success)) {
      const target = this.deps.docker.target(service);
      return {
        from: `compose service ${name} of ${target.project}`,
        read: (window) => this.deps.readers.compose(target, name, window),
      };
    }
    throw new NotFoundError(unknownSource(service, name, settings));
  }
}

/** The one sentence for a name that is neither a deployment nor a compose service: what it may be. */
function unknownSource(service: string, name: string, { kubernetes, compose }: ServiceConfig): string {
  const kinds = [kubernetes && 'deployment', compose && 'compose service'].filter(Boolean).join(' or ');
  if (!kinds) return `${service} has no kubernetes or compose section in ops.yml, so it has no logs to read.`;
  const may = [
    ...(kubernetes ? [`its deployments are ${listed(kubernetes.deployments)}`] : []),
    ...(compose?.services ? [`its compose services are ${listed(compose.services)}`] : []),
    ...(compose && !compose.services
      ? [`name a compose service of project ${compose.project} (lower-case letters, digits, - _ .)`]
      : []),
  ];
  return `${service} has no ${kinds} called \`${name.replace(/`/g, "'")}\`; ${may.join('; ')}.`;
}

/** `a`, `a and b`, `a, b and c`. */
function listed(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function cut(text: string): string {
  return text.length <= MAX_LINE_CHARS ? text : `${text.slice(0, MAX_LINE_CHARS - 1)}…`;
}
