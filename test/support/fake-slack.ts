import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One call to the fake Slack: a Web API method, or a POST to a response_url (`method` = 'respond/<name>'). */
export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  /** The credential the call carried (Authorization header or `token` field), kept apart from its content. */
  token?: string;
}

/**
 * The Slack Web API faked at the HTTP level: records every call and answers like Slack does for the
 * methods opsbot uses. `/respond/*` stands in for response_urls.
 */
export class FakeSlack {
  readonly calls: SlackCall[] = [];
  /** Members of Slack user groups, answered by `usergroups.users.list`. */
  readonly groups = new Map<string, string[]>();
  /** Channels by name, as `conversations.create` made them (a taken name answers `name_taken`). */
  readonly channels = new Map<string, string>();
  /** Where `apps.connections.open` sends Socket Mode clients. */
  socketUrl = '';
  /** Methods that answer `{ ok: false, error }`, as Slack does for revoked tokens and the like. */
  readonly failing = new Map<string, string>();
  /** How long Web API answers take, to widen races between processes. */
  answerDelayMs = 0;
  private server: Server | undefined;
  private nextTs = 1_700_000_000;
  private nextFile = 0;

  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  get baseUrl(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    return `http://127.0.0.1:${address?.port}`;
  }

  responseUrl(name = 'cmd'): string {
    return `${this.baseUrl}/respond/${name}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        const url = req.url ?? '';
        if (url.startsWith('/upload/')) {
          // The bytes of a file upload (files.uploadV2's second step), kept as they came.
          this.calls.push({ method: 'upload', args: { id: url.slice('/upload/'.length), body } });
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(`OK - ${body.length}`);
          return;
        }
        const { token, ...args } = parseBody(body, req.headers['content-type'] ?? '');
        const method = url.startsWith('/respond/')
          ? url.slice(1)
          : (url.replace(/^\/api\//, '').split('?')[0] ?? '');
        const bearer = req.headers.authorization?.replace(/^Bearer /, '') ?? (token as string | undefined);
        this.calls.push({ method, args, ...(bearer ? { token: bearer } : {}) });
        const answer = JSON.stringify(this.answer(method, args));
        const send = () => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(answer);
        };
        if (this.answerDelayMs > 0) setTimeout(send, this.answerDelayMs);
        else send();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Calls of one method, in order. */
  of(method: string): Record<string, unknown>[] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  /** Everything the bot sent to Slack except credentials: what users could see. */
  allText(): string {
    return JSON.stringify(this.calls.map((call) => ({ method: call.method, args: call.args })));
  }

  private answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const error = this.failing.get(method);
    if (error) return { ok: false, error };
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'U0OPSBOT', bot_id: 'B0OPSBOT', team_id: 'T0TEAM' };
      case 'chat.postMessage':
        this.nextTs += 1;
        return { ok: true, channel: args.channel, ts: `${this.nextTs}.000100` };
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts };
      case 'usergroups.users.list':
        return { ok: true, users: this.groups.get(String(args.usergroup)) ?? [] };
      case 'apps.connections.open':
        return { ok: true, url: this.socketUrl };
      case 'conversations.create': {
        const name = String(args.name);
        if (this.channels.has(name)) return { ok: false, error: 'name_taken' };
        const id = `C0INC${this.channels.size + 1}`;
        this.channels.set(name, id);
        return { ok: true, channel: { id, name } };
      }
      case 'conversations.open':
        return { ok: true, channel: { id: `D0${String(args.users)}` } };
      case 'views.open':
        return { ok: true, view: { id: 'V0VIEW' } };
      case 'files.getUploadURLExternal': {
        const fileId = `F0FILE${++this.nextFile}`;
        return { ok: true, upload_url: `${this.baseUrl}/upload/${fileId}`, file_id: fileId };
      }
      case 'files.completeUploadExternal':
        return {
          ok: true,
          files: [{ id: JSON.stringify(args.files ?? '').match(/F0FILE\d+/)?.[0] ?? 'F0FILE' }],
        };
      default:
        return { ok: true };
    }
  }
}

function parseBody(body: string, contentType: string): Record<string, unknown> {
  if (body === '') return {};
  if (contentType.includes('application/json')) return JSON.parse(body) as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    args[key] = /^[[{]/.test(value) ? JSON.parse(value) : value;
  }
  return args;
}
