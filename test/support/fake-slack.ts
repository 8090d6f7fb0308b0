import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CanvasChange, type CanvasCriteria, CanvasDocument } from '../../src/console/canvas-document.js';
import { blockProblems } from './block-limits.js';

/** One call to the fake Slack: a Web API method, or a POST to a response_url (`method` = 'respond/<name>'). */
export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  /** The credential the call carried (Authorization header or `token` field), kept apart from its content. */
  token?: string;
  /** When it arrived (ms since the epoch). */
  at: number;
  /** The HTTP status it was answered with; 0 when the connection was dropped instead. */
  status: number;
  /**
   * How many calls had arrived when this one was answered (unset until then): call `i` arrived before this
   * one's answer was sent when `i < answeredAfter`. Orders events without comparing clocks.
   */
  answeredAfter?: number;
  /** What it was answered (a post's `ts` is in it); unset until then. */
  answer?: Record<string, unknown>;
}

/**
 * An answer a test scripts instead of the usual one: an HTTP error (429 with Retry-After), `{ ok: false, error }`,
 * a dropped connection, the usual answer `delayMs` late (a slow Slack), or `lose`: the call is done (a post is in
 * its channel) but the connection drops before its answer.
 */
export type ScriptedAnswer =
  | { status: number; retryAfter?: number }
  | { error: string }
  | 'drop'
  | 'lose'
  | { delayMs: number };

/** A scripted answer that replaces the usual one (not merely delays or loses it). */
type Failure = Exclude<ScriptedAnswer, { delayMs: number } | 'lose'>;

interface Script {
  method: string;
  when: (args: Record<string, unknown>) => boolean;
  answers: ScriptedAnswer[];
}

/**
 * A message in a channel, as a test puts it there or opsbot posted it (`bot_id`, and the `metadata` it was posted
 * with); `thread_ts` makes it a reply in that thread.
 */
export interface FakeMessage {
  text: string;
  user?: string;
  bot_id?: string;
  thread_ts?: string;
  metadata?: Record<string, unknown>;
}

/**
 * The Slack Web API faked at the HTTP level: records every call and answers like Slack does for the
 * methods opsbot uses. `/respond/*` stands in for response_urls.
 */
export class FakeSlack {
  readonly calls: SlackCall[] = [];
  /** Members of Slack user groups, answered by `usergroups.users.list`. */
  readonly groups = new Map<string, string[]>();
  /** Profile emails by user id, answered by `users.info`. */
  readonly emails = new Map<string, string>();
  /** Channels by name, as `conversations.create` made them (a taken name answers `name_taken`). */
  readonly channels = new Map<string, string>();
  /** Where `apps.connections.open` sends Socket Mode clients. */
  socketUrl = '';
  /** Methods that answer `{ ok: false, error }`, as Slack does for revoked tokens and the like. */
  readonly failing = new Map<string, string>();
  /** Messages by `<channel>:<ts>`, read by conversations.history / .replies and chat.getPermalink. */
  readonly messages = new Map<string, FakeMessage>();
  /**
   * Canvases by id, each a document of sections (conversations.canvases.create, canvases.sections.lookup,
   * canvases.edit); a test edits one as a person would with `apply`.
   */
  readonly canvases = new Map<string, CanvasDocument>();
  /** Each channel's canvas id. */
  private readonly channelCanvases = new Map<string, string>();
  /** How long Web API answers take, to widen races between processes. */
  answerDelayMs = 0;
  /** While set, every Web API call gets this answer: Slack is down. */
  down: ScriptedAnswer | undefined;
  /**
   * Block types refused with `invalid_blocks` (a workspace or Slack without them). Messages and response_url
   * answers are refused so too when their data_visualization or table blocks break Slack's limits.
   */
  readonly rejectedBlocks = new Set<string>();
  /** Slack Lists by id, as slackLists.create made them, with their items' fields by item id. */
  readonly lists = new Map<string, { name: string; items: Map<string, Record<string, unknown>[]> }>();
  private readonly scripts: Script[] = [];
  /** Each modal opened, by view id: what it shows now, and its hash (views.update checks it like Slack). */
  private readonly views = new Map<string, { view: Record<string, unknown>; hash: string }>();
  private server: Server | undefined;
  private posts = 0;
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
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
      });
      req.on('end', () => {
        const url = req.url ?? '';
        const body = Buffer.concat(chunks).toString('utf8');
        if (url.startsWith('/upload/')) {
          // The bytes of a file upload (files.uploadV2's second step), kept as they came (and as text).
          const args = { id: url.slice('/upload/'.length), body, bytes: Buffer.concat(chunks) };
          this.calls.push({ method: 'upload', args, at: Date.now(), status: 200 });
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(`OK - ${body.length}`);
          return;
        }
        const { token, ...args } = parseBody(body, req.headers['content-type'] ?? '');
        const method = url.startsWith('/respond/')
          ? url.slice(1)
          : (url.replace(/^\/api\//, '').split('?')[0] ?? '');
        const bearer = req.headers.authorization?.replace(/^Bearer /, '') ?? (token as string | undefined);
        const found = url.startsWith('/respond/') ? undefined : (this.down ?? this.scripted(method, args));
        const slow = typeof found === 'object' && 'delayMs' in found ? found : undefined;
        const lost = found === 'lose';
        const scripted: Failure | undefined = slow || lost ? undefined : (found as Failure | undefined);
        const delayMs = slow?.delayMs ?? this.answerDelayMs;
        const status =
          method.startsWith('respond/') && this.refusedBlocks(method, args) ? 400 : statusOf(scripted);
        const call: SlackCall = {
          method,
          args,
          ...(bearer ? { token: bearer } : {}),
          at: Date.now(),
          status,
        };
        this.calls.push(call);
        const answered = scripted ? failure(scripted) : this.answer(method, args);
        const answer = JSON.stringify(answered);
        const send = () => {
          call.answeredAfter = this.calls.length;
          call.answer = answered;
          if (scripted === 'drop' || lost) {
            res.socket?.destroy();
            return;
          }
          const retryAfter =
            scripted && 'retryAfter' in scripted ? { 'retry-after': String(scripted.retryAfter) } : {};
          res.writeHead(status, { 'content-type': 'application/json', ...retryAfter });
          res.end(answer);
        };
        if (delayMs > 0) setTimeout(send, delayMs);
        else send();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** The next `answers` of `method` (for calls whose args pass `when`) replace the usual answer, in order. */
  script(method: string, answers: ScriptedAnswer[], when: Script['when'] = () => true): void {
    this.scripts.push({ method, when, answers: [...answers] });
  }

  /** Calls of one method, in order. */
  of(method: string): Record<string, unknown>[] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  /** Every modal opened, in order, as its person sees it now: the last views.update of it applied. */
  modals(): Record<string, unknown>[] {
    return [...this.views.values()].map(({ view }) => view);
  }

  /** The canvas of a channel, as it reads now. */
  canvasOf(channel: string): CanvasDocument | undefined {
    const id = this.channelCanvases.get(channel);
    return id === undefined ? undefined : this.canvases.get(id);
  }

  /** Everything the bot sent to Slack except credentials: what users could see. */
  allText(): string {
    return JSON.stringify(this.calls.map((call) => ({ method: call.method, args: call.args })));
  }

  /**
   * Like Slack: the channel's top-level messages between `oldest` and `latest`, newest first; thread replies are
   * not there, nor metadata without `include_all_metadata`.
   */
  private history(args: Record<string, unknown>): FakeMessage[] {
    const oldest = args.oldest === undefined ? '' : order(String(args.oldest));
    const latest = args.latest === undefined ? LAST : order(String(args.latest));
    const inclusive = String(args.inclusive) === 'true' || args.inclusive === '1';
    return this.inChannel(String(args.channel), args)
      .filter((m) => !m.thread_ts || m.thread_ts === m.ts)
      .filter((m) => order(m.ts) > oldest || (inclusive && order(m.ts) === oldest))
      .filter((m) => order(m.ts) < latest || (inclusive && order(m.ts) === latest))
      .reverse()
      .slice(0, args.limit === undefined ? 100 : Number(args.limit));
  }

  /** Like Slack: the thread of the message at `ts` (its parent or any reply), parent first. */
  private replies(args: Record<string, unknown>): Record<string, unknown> {
    const channel = String(args.channel);
    const message = this.messages.get(`${channel}:${String(args.ts)}`);
    if (!message) return { ok: false, error: 'thread_not_found' };
    const root = message.thread_ts ?? String(args.ts);
    const oldest = args.oldest === undefined ? '' : order(String(args.oldest));
    const latest = args.latest === undefined ? LAST : order(String(args.latest));
    const thread = this.inChannel(channel, args).filter((m) => m.ts === root || m.thread_ts === root);
    const [parent, ...rest] = thread;
    const within = rest.filter((m) => order(m.ts) >= oldest && order(m.ts) <= latest);
    return { ok: true, messages: parent ? [parent, ...within] : within, has_more: false };
  }

  /** A channel's messages, oldest first, shaped as Slack returns them to a call with these `args`. */
  private inChannel(
    channel: string,
    args: Record<string, unknown>,
  ): (FakeMessage & { ts: string; type: string })[] {
    const metadata = String(args.include_all_metadata) === 'true';
    return [...this.messages]
      .filter(([key]) => key.startsWith(`${channel}:`))
      .map(([key, { metadata: kept, ...message }]) => ({
        type: 'message',
        ...message,
        ...(metadata && kept ? { metadata: kept } : {}),
        ts: key.slice(channel.length + 1),
      }))
      .sort((a, b) => (order(a.ts) < order(b.ts) ? -1 : 1));
  }

  /**
   * Why Slack would answer `invalid_blocks` to a message or a response_url answer (`respond/…`, which only these
   * answer with an HTTP 400); undefined when it would not.
   */
  private refusedBlocks(method: string, args: Record<string, unknown>): string[] | undefined {
    const carriesBlocks = ['chat.postMessage', 'chat.update', 'chat.postEphemeral'].includes(method);
    if (!carriesBlocks && !method.startsWith('respond/')) return undefined;
    const blocks = Array.isArray(args.blocks) ? (args.blocks as { type?: unknown }[]) : [];
    const problems = [
      ...blocks
        .filter((block) => this.rejectedBlocks.has(String(block.type)))
        .map((b) => `${b.type} refused`),
      ...(Array.isArray(args.blocks) ? blockProblems(blocks) : []),
    ];
    return problems.length > 0 ? problems : undefined;
  }

  private scripted(method: string, args: Record<string, unknown>): ScriptedAnswer | undefined {
    const script = this.scripts.find((s) => s.method === method && s.answers.length > 0 && s.when(args));
    return script?.answers.shift();
  }

  private answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const refused = this.refusedBlocks(method, args);
    if (refused) return { ok: false, error: 'invalid_blocks', errors: refused };
    const error = this.failing.get(method);
    if (error) return { ok: false, error };
    switch (method) {
      case 'slackLists.create': {
        const id = `F0LIST${this.lists.size + 1}`;
        this.lists.set(id, { name: String(args.name), items: new Map() });
        const schema = (Array.isArray(args.schema) ? args.schema : []) as { key: string }[];
        const columns = schema.map((column) => ({ ...column, id: `Col0${column.key.toUpperCase()}` }));
        return { ok: true, list_id: id, list_metadata: { schema: columns } };
      }
      case 'slackLists.items.create': {
        const list = this.lists.get(String(args.list_id));
        if (!list) return { ok: false, error: 'list_not_found' };
        const id = `Rec0ITEM${list.items.size + 1}`;
        list.items.set(id, (args.initial_fields ?? []) as Record<string, unknown>[]);
        return { ok: true, item: { id, list_id: args.list_id } };
      }
      case 'slackLists.items.update': {
        const list = this.lists.get(String(args.list_id));
        if (!list) return { ok: false, error: 'list_not_found' };
        for (const cell of (args.cells ?? []) as { row_id: string; column_id: string }[]) {
          const { row_id, ...field } = cell;
          const fields = list.items.get(row_id);
          if (!fields) return { ok: false, error: 'invalid_row_id' };
          list.items.set(row_id, [...fields.filter((f) => f.column_id !== field.column_id), field]);
        }
        return { ok: true };
      }
      case 'auth.test':
        return { ok: true, user_id: 'U0OPSBOT', bot_id: 'B0OPSBOT', team_id: 'T0TEAM' };
      case 'chat.postMessage': {
        // Now, in seconds, as Slack's are; the micros of tests' own messages (below 900000) never collide.
        this.posts += 1;
        const ts = `${Math.floor(Date.now() / 1000)}.${900_000 + (this.posts % 100_000)}`;
        const metadata = typeof args.metadata === 'string' ? JSON.parse(args.metadata) : args.metadata;
        this.messages.set(`${String(args.channel)}:${ts}`, {
          text: String(args.text ?? ''),
          bot_id: 'B0OPSBOT',
          ...(args.thread_ts ? { thread_ts: String(args.thread_ts) } : {}),
          ...(metadata ? { metadata } : {}),
        });
        return { ok: true, channel: args.channel, ts };
      }
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
      case 'users.info': {
        const email = this.emails.get(String(args.user));
        return { ok: true, user: { id: args.user, profile: email ? { email } : {} } };
      }
      case 'conversations.open':
        return { ok: true, channel: { id: `D0${String(args.users)}` } };
      case 'conversations.history':
        return { ok: true, messages: this.history(args), has_more: false };
      case 'conversations.replies':
        return this.replies(args);
      case 'chat.getPermalink': {
        const channel = String(args.channel);
        const ts = String(args.message_ts);
        const message = this.messages.get(`${channel}:${ts}`);
        if (!message) return { ok: false, error: 'message_not_found' };
        const thread = message.thread_ts ? `?thread_ts=${message.thread_ts}&cid=${channel}` : '';
        return { channel, permalink: `${permalinkOf(channel, ts)}${thread}`, ok: true };
      }
      case 'views.open': {
        const refused = viewProblems(args.view);
        if (refused.length > 0)
          return { ok: false, error: 'invalid_arguments', response_metadata: { messages: refused } };
        const id = `V0VIEW${this.views.size + 1}`;
        const view = { ...(args.view as object), id, hash: `${id}.1` };
        this.views.set(id, { view, hash: view.hash });
        return { ok: true, view };
      }
      case 'views.update': {
        const id = String(args.view_id);
        const shown = this.views.get(id);
        if (!shown) return { ok: false, error: 'not_found' };
        if (args.hash !== undefined && args.hash !== shown.hash) return { ok: false, error: 'hash_conflict' };
        const refused = viewProblems(args.view);
        if (refused.length > 0)
          return { ok: false, error: 'invalid_arguments', response_metadata: { messages: refused } };
        const view = { ...(args.view as object), id, hash: `${id}.${Number(shown.hash.split('.')[1]) + 1}` };
        this.views.set(id, { view, hash: view.hash });
        return { ok: true, view };
      }
      case 'conversations.canvases.create': {
        const channel = String(args.channel_id ?? '');
        if (!channel) return { ok: false, error: 'invalid_arguments' };
        if (this.channelCanvases.has(channel)) return { ok: false, error: 'channel_canvas_already_exists' };
        const content = args.document_content as { markdown?: string } | undefined;
        const id = `F0CANVAS${this.canvases.size + 1}`;
        this.canvases.set(id, new CanvasDocument(id, String(args.title ?? ''), content?.markdown ?? ''));
        this.channelCanvases.set(channel, id);
        return { ok: true, canvas_id: id };
      }
      case 'conversations.info': {
        const id = String(args.channel);
        const canvas = this.channelCanvases.get(id);
        return { ok: true, channel: { id, properties: canvas ? { canvas: { file_id: canvas } } : {} } };
      }
      case 'canvases.sections.lookup': {
        const canvas = this.canvases.get(String(args.canvas_id));
        if (!canvas) return { ok: false, error: 'canvas_not_found' };
        const ids = canvas.lookup((args.criteria ?? {}) as CanvasCriteria);
        return { ok: true, sections: ids.map((id) => ({ id })) };
      }
      case 'canvases.edit': {
        const canvas = this.canvases.get(String(args.canvas_id));
        if (!canvas) return { ok: false, error: 'canvas_not_found' };
        const changes = args.changes as CanvasChange[] | undefined;
        // Slack applies one operation per call.
        if (!Array.isArray(changes) || changes.length !== 1) return { ok: false, error: 'invalid_arguments' };
        const error = canvas.apply(changes[0] as CanvasChange);
        return error ? { ok: false, error } : { ok: true };
      }
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

/** A ts as a string that sorts in time order (a float would lose the microseconds). */
const order = (ts: string) => ts.padStart(17, '0');
const LAST = '~';

/** A message's permalink, shaped like Slack's. */
export function permalinkOf(channel: string, ts: string): string {
  return `https://opsbot-test.slack.com/archives/${channel}/p${ts.replace('.', '')}`;
}

/** The HTTP status of an answer: 0 for a dropped connection. */
function statusOf(scripted: Failure | undefined): number {
  if (scripted === 'drop') return 0;
  return scripted && 'status' in scripted ? scripted.status : 200;
}

function failure(scripted: Failure): { ok: false; error: string } {
  return {
    ok: false,
    error: typeof scripted === 'object' && 'error' in scripted ? scripted.error : 'scripted',
  };
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

/** Why Slack would refuse a modal's blocks: the same block limits as messages, up to 100 blocks. */
function viewProblems(view: unknown): string[] {
  const blocks = (view as { blocks?: unknown } | undefined)?.blocks;
  return Array.isArray(blocks) ? blockProblems(blocks, 100) : [];
}
