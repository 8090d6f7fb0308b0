import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { type FakeKubernetes, KUBE_TOKEN } from './fake-kubernetes.js';

/** The channel protocols the fake speaks, newest first, as the API server picks among the client's. */
const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;

/** An exec the fake API server received: where, and the argv exactly as its `command=` parameters carried it. */
export interface ExecCall {
  namespace: string;
  pod: string;
  container: string | null;
  command: string[];
  query: URLSearchParams;
  protocol: string;
  /** The client closed the session before the command ended (what opsbot does at its timeout). */
  closedByClient: boolean;
}

/** A fake command's side of one exec session. */
export interface ExecSession {
  readonly call: ExecCall;
  /** Writes to stdout; resolves once the frame is handed to the socket (so a big output is paced). */
  stdout(data: string | Buffer): Promise<void>;
  stderr(data: string | Buffer): Promise<void>;
  /** Ends the command with its exit code: the Status on channel 3, as the API server sends it, then close. */
  exit(code: number): void;
  /** Kubernetes could not run the command at all: a Failure status without an exit code. */
  fail(message: string): void;
  /** The session breaks without a status (the API server or the node went away). */
  hangUp(): void;
  /** Resolves when the session is closed, by either side. */
  readonly closed: Promise<void>;
}

/** What the fake runs for an exec; it never exits unless it calls exit() or fail(). */
export type FakeCommand = (session: ExecSession) => void | Promise<void>;

/** Prints `ok` and exits 0. */
const printOk: FakeCommand = async (session) => {
  await session.stdout('ok\n');
  session.exit(0);
};

/**
 * The exec subresource of the fake Kubernetes API server: the WebSocket upgrade of
 * `/api/v1/namespaces/{ns}/pods/{pod}/exec`, the channel protocol (v5/v4: stdout 1, stderr 2, the V1Status
 * on 3), every session recorded. Pods must exist in the fake; the command is whatever `command` does.
 */
export class FakeKubeExec {
  readonly calls: ExecCall[] = [];
  /** What every exec runs. */
  command: FakeCommand = printOk;
  /** An HTTP status to refuse the upgrade with (403: the service account lacks pods/exec). */
  refuse: number | undefined;
  private readonly server = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => PROTOCOLS.find((protocol) => offered.has(protocol)) ?? false,
  });

  constructor(private readonly kube: FakeKubernetes) {
    kube.httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.upgrade(req, socket, head),
    );
  }

  /** Back to printing `ok`, nothing recorded, nothing refused. */
  reset(): void {
    this.calls.length = 0;
    this.command = printOk;
    this.refuse = undefined;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const [, namespace = '', pod = ''] =
      /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname) ?? [];
    const refusal = this.refusal(req.headers.authorization, namespace, pod);
    if (refusal) {
      refuse(socket, ...refusal);
      return;
    }
    this.server.handleUpgrade(req, socket, head, (ws) => {
      const call: ExecCall = {
        namespace,
        pod,
        container: url.searchParams.get('container'),
        command: url.searchParams.getAll('command'),
        query: url.searchParams,
        protocol: ws.protocol,
        closedByClient: false,
      };
      this.calls.push(call);
      void this.command(session(ws, call));
    });
  }

  /** Why the API server would answer the upgrade with an error instead: its status code and message. */
  private refusal(
    authorization: string | undefined,
    namespace: string,
    pod: string,
  ): [number, string] | undefined {
    if (authorization !== `Bearer ${KUBE_TOKEN}`) return [401, 'Unauthorized'];
    if (!pod) return [404, 'the server could not find the requested resource'];
    if (this.refuse) {
      return [
        this.refuse,
        `pods "${pod}" is forbidden: User "system:serviceaccount:ops:opsbot" cannot create resource "pods/exec" in the namespace "${namespace}"`,
      ];
    }
    const found = this.kube.pods.some((p) => p.metadata.namespace === namespace && p.metadata.name === pod);
    return found ? undefined : [404, `pods "${pod}" not found`];
  }
}

function session(ws: WebSocket, call: ExecCall): ExecSession {
  let ended = false;
  const closed = new Promise<void>((resolve) =>
    ws.once('close', () => {
      if (!ended) call.closedByClient = true;
      resolve();
    }),
  );
  const send = (channel: number, data: string | Buffer) =>
    new Promise<void>((resolve) => {
      if (ws.readyState !== ws.OPEN) return resolve();
      ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(data)]), () => resolve());
    });
  const end = (status: Record<string, unknown>) => {
    if (ended || ws.readyState !== ws.OPEN) return;
    ended = true;
    void send(STATUS, JSON.stringify({ metadata: {}, ...status })).then(() => ws.close());
  };
  return {
    call,
    closed,
    stdout: (data) => send(STDOUT, data),
    stderr: (data) => send(STDERR, data),
    exit(code) {
      // As the kubelet reports it: Success, or NonZeroExitCode with the code in an ExitCode cause.
      end(
        code === 0
          ? { status: 'Success' }
          : {
              status: 'Failure',
              message: `command terminated with non-zero exit code: error executing command [${call.command.join(' ')}], exit code ${code}`,
              reason: 'NonZeroExitCode',
              details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
            },
      );
    },
    fail(message) {
      end({ status: 'Failure', message, reason: 'InternalError', code: 500 });
    },
    hangUp() {
      ended = true;
      ws.terminate();
    },
  };
}

/** An upgrade the API server answers with an error Status instead of switching protocols. */
function refuse(socket: Duplex, code: number, message: string): void {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code });
  socket.end(
    `HTTP/1.1 ${code} Refused\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
