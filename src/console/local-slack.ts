import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the bot showed: a channel message, an edit of one, a response_url answer, or a modal. */
export type Shown =
  | { kind: 'message'; channel: string; ts: string; thread_ts?: string; args: Record<string, unknown> }
  | { kind: 'edit'; channel: string; ts: string; args: Record<string, unknown> }
  | { kind: 'ephemeral'; channel: string; args: Record<string, unknown> }
  | { kind: 'view'; view: Record<string, unknown> };

/** Where a response_url answers: the conversation it belongs to and, for a pressed button, its message. */
interface ResponseTarget {
  channel: string;
  ts?: string;
}

/**
 * The Slack Web API, minimal and in-process, for `opsbot console`: it answers the methods opsbot calls like
 * Slack does and hands everything users would see to `show`. `/respond/<id>` stands in for response_urls.
 */
export class LocalSlack {
  /** Incident channels by name, as conversations.create made them. */
  readonly channels = new Map<string, string>();
  /** When the last call arrived (ms since the epoch): the console waits for quiet before reading on. */
  lastCallAt = Date.now();
  private readonly messages: { channel: string; ts: string; text: string }[] = [];
  private readonly responses = new Map<string, ResponseTarget>();
  private server: Server | undefined;
  private nextTs = Math.floor(Date.now() / 1000);
  private nextId = 0;
  private readonly firstChannel = Date.now();

  constructor(private readonly show: (shown: Shown) => void) {}

  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  private get baseUrl(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    return `http://127.0.0.1:${address?.port}`;
  }

  /** A channel's name for display: `#inc-…` for the channels created here, else its id. */
  nameOf(id: string): string {
    for (const [name, channel] of this.channels) if (channel === id) return `#${name}`;
    return id;
  }

  /** A fresh response_url whose answers belong to `target`. */
  responseUrl(target: ResponseTarget): string {
    const id = `r${++this.nextId}`;
    this.responses.set(id, target);
    return `${this.baseUrl}/respond/${id}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.lastCallAt = Date.now();
        const url = req.url ?? '';
        const body = Buffer.concat(chunks).toString('utf8');
        let answer: Record<string, unknown> = { ok: true };
        if (url.startsWith('/upload/')) {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(`OK - ${body.length}`);
          return;
        }
        const args = parseBody(body, req.headers['content-type'] ?? '');
        if (url.startsWith('/respond/')) this.respond(url.slice('/respond/'.length), args);
        else answer = this.answer(url.replace(/^\/api\//, '').split('?')[0] ?? '', args);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private respond(id: string, args: Record<string, unknown>): void {
    const target = this.responses.get(id) ?? { channel: '' };
    const replaces = args.replace_original === true || args.replace_original === 'true';
    if (replaces && target.ts) this.show({ kind: 'edit', channel: target.channel, ts: target.ts, args });
    else if (args.delete_original === true || args.delete_original === 'true') return;
    else if (args.response_type === 'in_channel') this.post(target.channel, args);
    else this.show({ kind: 'ephemeral', channel: target.channel, args });
  }

  private post(channel: string, args: Record<string, unknown>): string {
    this.nextTs += 1;
    const ts = `${this.nextTs}.000100`;
    this.messages.push({ channel, ts, text: String(args.text ?? '') });
    const thread = args.thread_ts ? { thread_ts: String(args.thread_ts) } : {};
    this.show({ kind: 'message', channel, ts, ...thread, args });
    return ts;
  }

  private answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const channel = String(args.channel ?? '');
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'U0OPSBOT', bot_id: 'B0OPSBOT', team_id: 'T0CONSOLE' };
      case 'chat.postMessage':
        return { ok: true, channel, ts: this.post(channel, args) };
      case 'chat.postEphemeral':
        this.show({ kind: 'ephemeral', channel, args });
        return { ok: true, message_ts: `${this.nextTs}.000200` };
      case 'chat.update':
        this.show({ kind: 'edit', channel, ts: String(args.ts), args });
        return { ok: true, channel, ts: args.ts };
      case 'views.open':
        this.show({ kind: 'view', view: (args.view ?? {}) as Record<string, unknown> });
        return { ok: true, view: { id: `V0VIEW${++this.nextId}` } };
      case 'conversations.create': {
        const name = String(args.name);
        if (this.channels.has(name)) return { ok: false, error: 'name_taken' };
        // Unique across console runs: incidents (and their channel ids) outlive this process in the database.
        const id = `C0INC${(this.firstChannel + this.channels.size).toString(36).toUpperCase()}`;
        this.channels.set(name, id);
        return { ok: true, channel: { id, name } };
      }
      case 'conversations.open':
        return { ok: true, channel: { id: `D0${String(args.users)}` } };
      case 'conversations.history': {
        const messages = this.messages
          .filter((m) => m.channel === channel)
          .map(({ ts, text }) => ({ type: 'message', ts, text, bot_id: 'B0OPSBOT' }))
          .reverse();
        return { ok: true, messages, has_more: false };
      }
      case 'conversations.replies':
        return { ok: true, messages: [], has_more: false };
      case 'chat.getPermalink':
        return { ok: true, permalink: `console://${channel}/${String(args.message_ts)}` };
      case 'users.info':
        return { ok: true, user: { id: args.user, profile: {} } };
      case 'usergroups.users.list':
        return { ok: true, users: [] };
      case 'files.getUploadURLExternal': {
        const fileId = `F0FILE${++this.nextId}`;
        return { ok: true, upload_url: `${this.baseUrl}/upload/${fileId}`, file_id: fileId };
      }
      case 'files.completeUploadExternal':
        this.post(String(args.channel_id ?? channel), { text: `(file shared: ${describeFiles(args)})` });
        return { ok: true, files: [{ id: `F0FILE${this.nextId}` }] };
      default:
        return { ok: true };
    }
  }
}

function describeFiles(args: Record<string, unknown>): string {
  const files = Array.isArray(args.files) ? (args.files as { title?: string }[]) : [];
  return files.map((file) => file.title ?? 'file').join(', ') || 'file';
}

function parseBody(body: string, contentType: string): Record<string, unknown> {
  if (body === '') return {};
  if (contentType.includes('application/json')) return JSON.parse(body) as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    try {
      args[key] = /^[[{]/.test(value) ? JSON.parse(value) : value;
    } catch {
      args[key] = value;
    }
  }
  return args;
}
