import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A request the fake Engine received, its version prefix and query split off, its body parsed. */
export interface DockerRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

type Json = Record<string, unknown>;

/** A container the fake Engine holds. */
export interface FakeContainer {
  id: string;
  name: string;
  state: 'running' | 'exited' | 'created';
  startedAt: string;
  /** The health check's verdict; undefined: the container has no health check. */
  health: string | undefined;
  /** Config as inspect shows it (Image, Labels, Env, Cmd, ...). */
  config: Json & { Image: string; Labels: Record<string, string> };
  hostConfig: Json;
  networks: Record<string, { Aliases: string[] | null }>;
  /** Its log lines: 1 stdout, 2 stderr; `at` an RFC 3339 timestamp. */
  logs: { stream: 1 | 2; at: string; text: string }[];
}

/** What the next exec prints (1 stdout, 2 stderr), and how it ends: an exit code, or never (`hang`). */
export interface ExecScript {
  frames: { stream: 1 | 2; text: string }[];
  exitCode: number;
  hang?: boolean;
}

/** A JSON answer of the fake Engine. */
interface Reply {
  status: number;
  json?: unknown;
}

interface FakeExec {
  id: string;
  containerId: string;
  cmd: string[];
  running: boolean;
  exitCode: number | null;
}

/** What addContainer may set; the rest is what `docker-compose up` would have made. */
export interface ContainerOptions {
  state?: FakeContainer['state'];
  image?: string;
  health?: string;
  /** Published ports, `"8000:8000"` (fixed host port) or `"8000"` (ephemeral). */
  ports?: string[];
  env?: string[];
  logs?: FakeContainer['logs'];
}

/**
 * A Docker Engine API for tests, served over a Unix socket in a temp dir as the real one is: compose
 * containers in memory, the endpoints opsbot calls (list with label filters, inspect, restart, create,
 * start, stop, remove, exec create/start/inspect, logs), exec output and logs sent as multiplexed frames,
 * every request recorded.
 */
export class FakeDocker {
  readonly requests: DockerRequest[] = [];
  readonly containers: FakeContainer[] = [];
  readonly execs = new Map<string, FakeExec>();
  /** Ids of execs (and of containers, for logs) whose output stream the client closed before it ended. */
  readonly abandoned: string[] = [];
  execScript: ExecScript = { frames: [], exitCode: 0 };
  /** When set, exec output and logs are written this many bytes at a time: frames arrive split anywhere. */
  chunkBytes: number | undefined;
  /** When set, a logs read sends its lines and then never ends, as a `--follow` or stuck Engine would. */
  hangLogs = false;
  /** Names of containers whose start the Engine refuses (500), as a port or mount it cannot set up. */
  readonly failStart = new Set<string>();
  /** When set, what each exec prints and how it ends, from its argv and container (instead of execScript). */
  onExec: ((cmd: string[], container: FakeContainer) => Promise<ExecScript>) | undefined;
  private server: Server | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'fake-docker-'));
  readonly socketPath = join(this.dir, 'docker.sock');

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.answer(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => this.server?.listen(this.socketPath, resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Forgets every container, exec and request; the next exec prints nothing and exits 0. */
  reset(): void {
    this.requests.length = 0;
    this.containers.length = 0;
    this.execs.clear();
    this.abandoned.length = 0;
    this.execScript = { frames: [], exitCode: 0 };
    this.chunkBytes = undefined;
    this.hangLogs = false;
    this.failStart.clear();
  }

  /** Container `<project>-<service>-<number>`, labelled as Compose labels it. */
  addContainer(
    project: string,
    service: string,
    number: number,
    options: ContainerOptions = {},
  ): FakeContainer {
    const ports = options.ports ?? [];
    const container: FakeContainer = {
      id: randomBytes(32).toString('hex'),
      name: `${project}-${service}-${number}`,
      state: options.state ?? 'running',
      startedAt: '2026-12-01T09:00:00.123456789Z',
      health: options.health,
      config: {
        Image: options.image ?? `${project}-${service}`,
        Env: options.env ?? [],
        Cmd: null,
        ExposedPorts: Object.fromEntries(ports.map((port) => [`${port.split(':').at(-1)}/tcp`, {}])),
        Labels: {
          'com.docker.compose.project': project,
          'com.docker.compose.service': service,
          'com.docker.compose.container-number': String(number),
          'com.docker.compose.oneoff': 'False',
          'com.docker.compose.config-hash': 'c0ffee',
        },
      },
      hostConfig: {
        NetworkMode: `${project}_default`,
        RestartPolicy: { Name: 'unless-stopped' },
        PortBindings: Object.fromEntries(
          ports.map((port) => {
            const [host, inside] = port.includes(':') ? port.split(':') : ['', port];
            return [`${inside}/tcp`, [{ HostIp: '', HostPort: host }]];
          }),
        ),
      },
      networks: { [`${project}_default`]: { Aliases: [`${project}-${service}-${number}`, service] } },
      logs: options.logs ?? [],
    };
    container.config.Hostname = container.id.slice(0, 12);
    this.containers.push(container);
    return container;
  }

  /** The container named `name`, if there is one. */
  named(name: string): FakeContainer | undefined {
    return this.containers.find((container) => container.name === name);
  }

  /** Requests other than reads (GET). */
  changes(): DockerRequest[] {
    return this.requests.filter((request) => request.method !== 'GET');
  }

  private answer(req: IncomingMessage, text: string, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://docker');
    const path = url.pathname.replace(/^\/v1\.\d+/, '');
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // kept as text
    }
    const method = req.method ?? 'GET';
    this.requests.push({ method, path, query: url.searchParams, body });
    const reply = this.route(method, path, url.searchParams, body, res);
    if (!reply) return;
    res.writeHead(reply.status, { 'Content-Type': 'application/json' });
    res.end(reply.json === undefined ? undefined : JSON.stringify(reply.json));
  }

  /** The JSON reply to a request; undefined when the route streamed its own (exec output, logs). */
  private route(
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
    res: ServerResponse,
  ): Reply | undefined {
    if (method === 'GET' && path === '/containers/json') return { status: 200, json: this.list(query) };
    if (method === 'POST' && path === '/containers/create')
      return this.create(query.get('name') ?? '', body as Json);
    const exec = /^\/exec\/([^/]+)\/(start|json)$/.exec(path);
    if (exec) {
      const found = this.execs.get(exec[1] ?? '');
      if (!found) return { status: 404, json: { message: `No such exec instance: ${exec[1]}` } };
      if (exec[2] === 'start') {
        this.startExec(found, res);
        return undefined;
      }
      const { id: ID, running: Running, exitCode: ExitCode, containerId: ContainerID } = found;
      return { status: 200, json: { ID, Running, ExitCode, ContainerID } };
    }
    const match = /^\/containers\/([^/]+)(?:\/([a-z]+))?$/.exec(path);
    const container = match && this.containers.find((c) => c.id === match[1] || c.name === match[1]);
    if (!match || !container)
      return { status: 404, json: { message: `No such container: ${match?.[1] ?? path}` } };
    switch (`${method} ${match[2] ?? ''}`) {
      case 'GET json':
        return { status: 200, json: this.inspect(container) };
      case 'POST start':
        if (this.failStart.has(container.name)) {
          return {
            status: 500,
            json: { message: `failed to start ${container.name}: no space left on device` },
          };
        }
        container.state = 'running';
        container.startedAt = new Date().toISOString();
        return { status: 204 };
      case 'POST restart':
        container.state = 'running';
        container.startedAt = new Date().toISOString();
        return { status: 204 };
      case 'POST stop':
        container.state = 'exited';
        return { status: 204 };
      case 'DELETE ':
        if (container.state === 'running' && query.get('force') !== 'true') {
          return {
            status: 409,
            json: { message: `cannot remove container "${container.name}": container is running` },
          };
        }
        this.containers.splice(this.containers.indexOf(container), 1);
        return { status: 204 };
      case 'POST exec': {
        if (container.state !== 'running') {
          return { status: 409, json: { message: `container ${container.id} is not running` } };
        }
        const id = randomBytes(32).toString('hex');
        const cmd = ((body as Json | undefined)?.Cmd as string[] | undefined) ?? [];
        this.execs.set(id, { id, containerId: container.id, cmd, running: false, exitCode: null });
        return { status: 201, json: { Id: id } };
      }
      case 'GET logs':
        this.logs(container, query, res);
        return undefined;
      default:
        return { status: 404, json: { message: `page not found: ${method} ${path}` } };
    }
  }

  private list(query: URLSearchParams): Json[] {
    const all = query.get('all') === '1' || query.get('all') === 'true';
    const filters = JSON.parse(query.get('filters') ?? '{}') as { label?: string[] };
    return this.containers
      .filter((container) => all || container.state === 'running')
      .filter((container) =>
        (filters.label ?? []).every((wanted) => {
          const [key = '', value] = wanted.split('=');
          return value === undefined
            ? key in container.config.Labels
            : container.config.Labels[key] === value;
        }),
      )
      .map((container) => ({
        Id: container.id,
        Names: [`/${container.name}`],
        Image: container.config.Image,
        State: container.state,
        Status: container.state === 'running' ? 'Up 2 hours' : 'Exited (0) 1 minute ago',
        Labels: container.config.Labels,
      }));
  }

  private inspect(container: FakeContainer): Json {
    return {
      Id: container.id,
      Name: `/${container.name}`,
      Config: container.config,
      State: {
        Status: container.state,
        Running: container.state === 'running',
        StartedAt: container.startedAt,
        ...(container.health ? { Health: { Status: container.health, FailingStreak: 0 } } : {}),
      },
      HostConfig: container.hostConfig,
      NetworkSettings: {
        Networks: Object.fromEntries(
          Object.entries(container.networks).map(([name, endpoint]) => [
            name,
            { ...endpoint, NetworkID: `net-${name}`, IPAddress: '172.18.0.5' },
          ]),
        ),
      },
    };
  }

  private create(name: string, body: Json): Reply {
    if (this.named(name)) {
      return { status: 409, json: { message: `Conflict. The container name "/${name}" is already in use` } };
    }
    const { HostConfig, NetworkingConfig, ...config } = body as Json & {
      HostConfig: Json;
      NetworkingConfig: { EndpointsConfig: FakeContainer['networks'] };
    };
    const id = randomBytes(32).toString('hex');
    this.containers.push({
      id,
      name,
      state: 'created',
      startedAt: '0001-01-01T00:00:00Z',
      health: undefined,
      config: { Hostname: id.slice(0, 12), ...config } as unknown as FakeContainer['config'],
      hostConfig: HostConfig,
      networks: NetworkingConfig.EndpointsConfig,
      logs: [],
    });
    return { status: 201, json: { Id: id, Warnings: [] } };
  }

  private startExec(exec: FakeExec, res: ServerResponse): void {
    const container = this.containers.find((c) => c.id === exec.containerId);
    if (this.onExec && container) {
      exec.running = true;
      void this.onExec(exec.cmd, container).then((script) => this.sendExec(exec, script, res));
      return;
    }
    this.sendExec(exec, this.execScript, res);
  }

  private sendExec(exec: FakeExec, script: ExecScript, res: ServerResponse): void {
    exec.running = true;
    res.writeHead(200, { 'Content-Type': 'application/vnd.docker.raw-stream' });
    this.send(
      res,
      script.frames.map((frame) => multiplexed(frame.stream, frame.text)),
    );
    if (script.hang) {
      res.on('close', () => this.abandoned.push(exec.id));
      return;
    }
    exec.running = false;
    exec.exitCode = script.exitCode;
    res.end();
  }

  private logs(container: FakeContainer, query: URLSearchParams, res: ServerResponse): void {
    const since = Number(query.get('since') ?? 0);
    const tail = query.get('tail');
    const timestamps = query.get('timestamps') === '1' || query.get('timestamps') === 'true';
    let lines = container.logs.filter((line) => Date.parse(line.at) / 1000 >= since);
    if (tail && tail !== 'all') lines = lines.slice(-Number(tail));
    res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
    this.send(
      res,
      lines.map((line) => multiplexed(line.stream, `${timestamps ? `${line.at} ` : ''}${line.text}\n`)),
    );
    if (this.hangLogs) {
      res.on('close', () => this.abandoned.push(container.id));
      return;
    }
    res.end();
  }

  /** Writes frames as they are, or cut into chunkBytes pieces (each its own HTTP chunk) when that is set. */
  private send(res: ServerResponse, frames: Buffer[]): void {
    const size = this.chunkBytes;
    if (size === undefined) {
      for (const frame of frames) res.write(frame);
      return;
    }
    const all = Buffer.concat(frames);
    for (let at = 0; at < all.length; at += size) res.write(all.subarray(at, at + size));
  }
}

/** One frame of the Engine's multiplexed stream: [stream, 0, 0, 0, length (big-endian u32)] then the payload. */
export function multiplexed(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}
