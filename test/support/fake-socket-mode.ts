import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/** Slack's Socket Mode faked at the WebSocket level: says hello, delivers envelopes, records acks. */
export class FakeSocketMode {
  readonly acks: Record<string, unknown>[] = [];
  private server: WebSocketServer | undefined;
  private socket: WebSocket | undefined;

  get url(): string {
    return `ws://127.0.0.1:${(this.server?.address() as AddressInfo | undefined)?.port}/link`;
  }

  async start(): Promise<this> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    this.server = server;
    server.on('connection', (socket) => {
      this.socket = socket;
      socket.on('message', (data) => this.acks.push(JSON.parse(String(data)) as Record<string, unknown>));
      socket.send(
        JSON.stringify({
          type: 'hello',
          num_connections: 1,
          debug_info: { host: 'fake', approximate_connection_time: 3600 },
          connection_info: { app_id: 'A0OPSBOT' },
        }),
      );
    });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    return this;
  }

  /** Whether opsbot has connected. */
  get connected(): boolean {
    return this.socket !== undefined;
  }

  /** Delivers a slash command envelope as Slack would. */
  sendSlashCommand(envelopeId: string, payload: Record<string, string>): void {
    this.socket?.send(
      JSON.stringify({
        envelope_id: envelopeId,
        type: 'slash_commands',
        accepts_response_payload: true,
        payload,
      }),
    );
  }

  async stop(): Promise<void> {
    for (const client of this.server?.clients ?? []) client.terminate();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
