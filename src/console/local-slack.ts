import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CHECKING_MODAL } from '../slack/views/interim-modals.js';
import { LocalCanvases } from './local-canvases.js';
import type { Shown } from './shown.js';

/** A channel message as conversations.history answers it: a user's (`/say`) or opsbot's. */
export interface LocalMessage {
  channel: string;
  ts: string;
  text: string;
  user?: string;
  thread_ts?: string;
}

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
  private readonly messages: LocalMessage[] = [];
  private readonly responses = new Map<string, ResponseTarget>();
  /** Channel canvases and their methods. */
  private readonly canvases: LocalCanvases;
  private server: Server | undefined;
  private nextTs = Math.floor(Date.now() / 1000);
  private nextId = 0;
  private readonly firstChannel = Date.now();

  constructor(private readonly show: (shown: Shown) => void) {
    this.canvases = new LocalCanvases(show);
  }

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

  /** Posts `text` as `user` (what they would type in Slack); returns its ts. Nothing is shown: they typed it. */
  say(channel: string, user: string, text: string): string {
    return this.record({ channel, user, text });
  }

  /** The `n`-th last top-level message in `channel` (1 = the last), anyone's. */
  recent(channel: string, n = 1): LocalMessage | undefined {
    return this.topLevel(channel).at(-n);
  }

  private record(message: Omit<LocalMessage, 'ts'>): string {
    // Unique and increasing like Slack's, and close to the clock: a pinned message's ts is its time on the timeline.
    this.nextTs = Math.max(this.nextTs + 1, Math.floor(Date.now() / 1000));
    const ts = `${this.nextTs}.000100`;
    this.messages.push({ ...message, ts });
    return ts;
  }

  private post(channel: string, args: Record<string, unknown>): string {
    const thread = args.thread_ts ? { thread_ts: String(args.thread_ts) } : {};
    const ts = this.record({ channel, text: String(args.text ?? ''), ...thread });
    this.show({ kind: 'message', channel, ts, ...thread, args });
    return ts;
  }

  /** A channel's top-level messages, oldest first (thread replies are only in their thread). */
  private topLevel(channel: string): LocalMessage[] {
    return this.messages.filter((m) => m.channel === channel && (!m.thread_ts || m.thread_ts === m.ts));
  }

  /** Like Slack: top-level messages from `latest` back, newest first. */
  private history(args: Record<string, unknown>): Record<string, unknown>[] {
    const latest = args.latest === undefined ? undefined : String(args.latest);
    const inclusive = String(args.inclusive) === 'true' || String(args.inclusive) === '1';
    const limit = args.limit === undefined ? 100 : Number(args.limit);
    return this.topLevel(String(args.channel ?? ''))
      .filter((m) => !latest || tsBefore(m.ts, latest) || (inclusive && m.ts === latest))
      .reverse()
      .slice(0, limit)
      .map(asSlackMessage);
  }

  /** Like Slack: the thread of the message at `ts` (its parent or any reply), parent first. */
  private replies(args: Record<string, unknown>): Record<string, unknown> {
    const channel = String(args.channel ?? '');
    const found = this.messages.find((m) => m.channel === channel && m.ts === String(args.ts));
    if (!found) return { ok: false, error: 'thread_not_found' };
    const root = found.thread_ts ?? found.ts;
    const within = (ts: string) =>
      (args.oldest === undefined || !tsBefore(ts, String(args.oldest))) &&
      (args.latest === undefined || !tsBefore(String(args.latest), ts));
    const thread = this.messages.filter(
      (m) => m.channel === channel && (m.ts === root || m.thread_ts === root),
    );
    const [parent, ...rest] = thread;
    const messages = [...(parent ? [parent] : []), ...rest.filter((m) => within(m.ts))];
    return { ok: true, messages: messages.map(asSlackMessage), has_more: false };
  }

  /**
   * A modal, opened or updated in place: a form (it has a submit button) is shown as one, replacing any open
   * form; a notice (a refusal) as a message to the user; "Checking…" not at all, the update follows at once.
   */
  private showModal(view: Record<string, unknown>): void {
    if (view.callback_id === CHECKING_MODAL) return;
    if (view.submit) this.show({ kind: 'view', view });
    else {
      const title = { type: 'header', text: view.title };
      const blocks = [title, ...(Array.isArray(view.blocks) ? view.blocks : [])];
      this.show({ kind: 'ephemeral', channel: '', args: { blocks } });
    }
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
      case 'views.publish': {
        const user = String(args.user_id ?? '');
        const view = { ...((args.view ?? {}) as Record<string, unknown>), id: `V0HOME${user}` };
        this.show({ kind: 'home', user, view });
        return { ok: true, view };
      }
      case 'views.open':
      case 'views.update': {
        const view = (args.view ?? {}) as Record<string, unknown>;
        this.showModal(view);
        const id = method === 'views.open' ? `V0VIEW${++this.nextId}` : String(args.view_id ?? '');
        return { ok: true, view: { ...view, id } };
      }
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
      case 'conversations.history':
        return { ok: true, messages: this.history(args), has_more: false };
      case 'conversations.replies':
        return this.replies(args);
      case 'chat.getPermalink': {
        const ts = String(args.message_ts);
        if (!this.messages.some((m) => m.channel === channel && m.ts === ts)) {
          return { ok: false, error: 'message_not_found' };
        }
        return { ok: true, permalink: `console://${channel}/${ts}` };
      }
      case 'users.info':
        return { ok: true, user: { id: args.user, profile: {} } };
      case 'usergroups.users.list':
        return { ok: true, users: [] };
      case 'conversations.canvases.create':
      case 'conversations.info':
      case 'canvases.sections.lookup':
      case 'canvases.edit':
        return this.canvases.answer(method, args);
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

/** A message as the Web API returns it: a person's carries `user`, opsbot's `bot_id`. */
function asSlackMessage(m: LocalMessage): Record<string, unknown> {
  const author = m.user ? { user: m.user } : { bot_id: 'B0OPSBOT' };
  return {
    type: 'message',
    ts: m.ts,
    text: m.text,
    ...author,
    ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
  };
}

/** Whether message ts `a` (`<seconds>.<micros>`) is older than `b`. */
function tsBefore(a: string, b: string): boolean {
  const key = (ts: string) => {
    const [seconds = '', micros = ''] = ts.split('.');
    return `${seconds.padStart(12, '0')}.${micros.padEnd(6, '0')}`;
  };
  return key(a) < key(b);
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
