import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/** An answer: its status (0: none within the timeout, or the connection failed) and its time in ms. */
export interface Answer {
  ms: number;
  status: number;
}

/**
 * A connection idle longer than this is not reused: node's server closes it after 5 s (keepAliveTimeout), and
 * a request written as it closes would be lost to the race, not to opsbot.
 */
const REUSE_WITHIN_MS = 4_000;

/**
 * A minimal HTTP/1.1 client for the webhook benches: each request is written whole in one write on a
 * keep-alive connection of its own (one per request in flight, kept for the next ones), and its answer is
 * read to the end of its Content-Length (or its last chunk). node's `http` client costs the bench about 0.3 ms of CPU a request,
 * which on a 2-core machine is taken from the server it measures; this one costs a fraction of that. PagerDuty
 * sends from its own machines, so the less the sender costs here, the closer the figures are to production.
 */
export class LightClient {
  private readonly idle: { socket: Socket; since: number }[] = [];
  private readonly open = new Set<Socket>();

  constructor(
    private readonly port: number,
    private readonly timeoutMs = 5_000,
  ) {}

  /** POSTs `body` to `path`; the request's bytes are made before the clock starts. */
  post(path: string, headers: Record<string, string>, body: string): Promise<Answer> {
    const head = Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(body)) })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    const bytes = Buffer.from(`POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${head}\r\n${body}`);
    const socket = this.reusable() ?? this.connect();
    return new Promise((resolve) => {
      const t0 = performance.now();
      let received: Buffer = Buffer.alloc(0);
      const finish = (status: number, keep: boolean) => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('close', onClose);
        if (keep) this.idle.push({ socket, since: performance.now() });
        else socket.destroy();
        resolve({ ms: performance.now() - t0, status });
      };
      const onData = (chunk: Buffer) => {
        received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
        const end = received.indexOf('\r\n\r\n');
        if (end < 0) return;
        const headText = received.subarray(0, end).toString('latin1');
        const length = /\r\ncontent-length: *(\d+)/i.exec(headText)?.[1];
        if (length !== undefined) {
          if (received.length < end + 4 + Number(length)) return;
        } else if (/\r\ntransfer-encoding: *chunked/i.test(headText)) {
          // A chunked answer ends with its last, empty chunk.
          if (!received.subarray(-5).equals(LAST_CHUNK)) return;
        } else {
          finish(0, false);
          return;
        }
        const status = Number(headText.slice(9, 12));
        finish(status, !/\r\nconnection: *close/i.test(headText));
      };
      const onClose = () => finish(0, false);
      const timer = setTimeout(() => finish(0, false), this.timeoutMs);
      socket.on('data', onData);
      socket.on('close', onClose);
      socket.write(bytes);
    });
  }

  /** Closes every connection. */
  close(): void {
    for (const socket of this.open) socket.destroy();
    this.idle.length = 0;
  }

  /** The most recently used idle connection still safe to reuse; older ones are closed. */
  private reusable(): Socket | undefined {
    for (let last = this.idle.pop(); last; last = this.idle.pop()) {
      if (performance.now() - last.since < REUSE_WITHIN_MS) return last.socket;
      last.socket.destroy();
    }
    return undefined;
  }

  private connect(): Socket {
    const socket = connect({ host: '127.0.0.1', port: this.port, noDelay: true });
    this.open.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.open.delete(socket);
      const at = this.idle.findIndex((entry) => entry.socket === socket);
      if (at >= 0) this.idle.splice(at, 1);
    });
    return socket;
  }
}

/** A signed PagerDuty delivery, as the webhook benches send it. */
export interface SignedDelivery {
  body: string;
  signature: string;
  webhookId: string;
}

/** POSTs one signed delivery to `/webhooks/pagerduty`, with PagerDuty's headers. */
export function postDelivery(client: LightClient, delivery: SignedDelivery): Promise<Answer> {
  return client.post(
    '/webhooks/pagerduty',
    {
      'content-type': 'application/json',
      'x-pagerduty-signature': delivery.signature,
      'x-webhook-id': delivery.webhookId,
    },
    delivery.body,
  );
}
