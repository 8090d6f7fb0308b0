import { STATUS_CODES } from 'node:http';
import { readCappedBody } from '../net/capped-body.js';
import type { HttpRequest } from './http-template.js';

/**
 * Outbound HTTP calls to a service's admin API (DESIGN §8): allow-listed hosts, HTTPS except to loopback,
 * a timeout, a bounded response, no redirects, and header values that are never shown. The request itself
 * is built from its template by http-template.ts.
 */

/** What a call answered: its status, and its body read up to a bound. */
export interface HttpResponse {
  status: number;
  statusText: string;
  /** The parsed JSON body; undefined when the body is empty, not JSON, or was cut. */
  json: unknown;
  /** The body as text, at most `maxBytes` of it. */
  text: string;
  /** Whether the body was larger than `maxBytes` and was cut. */
  truncated: boolean;
}

/** How much of an answer performHttpRequest reads. */
export interface PerformOptions {
  /** Largest response body read (default 1 MB); the rest is discarded. */
  maxBytes?: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };
const DEFAULT_MAX_BYTES = 1024 * 1024;
/** Query parameters whose values are shown as [redacted] (`?api_key=...`). */
const SECRET_QUERY = /(^|_|-)(key|token|password|secret|signature|auth)$/i;

/** Why this URL may not be called (a host not allow-listed, plain HTTP to a remote host), if so. */
export function targetRefusal(url: URL, allowedHosts: readonly string[]): string | undefined {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return `opsbot only calls http(s) URLs, not ${url.protocol.replace(/:$/, '')}.`;
  }
  if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) {
    return `${url.host} must be called over https; plain http is only allowed to loopback.`;
  }
  if (!hostAllowed(url, allowedHosts)) {
    return `${url.host} is not in this service's allowed_hosts (${allowedHosts.join(', ') || 'none'}).`;
  }
  return undefined;
}

/** Whether the URL's host (and port, when it names one) is allow-listed; entries are `host` or `host:port`. */
export function hostAllowed(url: URL, allowedHosts: readonly string[]): boolean {
  const entries = new Set(allowedHosts.map((entry) => entry.toLowerCase()));
  const host = url.hostname.toLowerCase();
  if (url.port === '') return entries.has(host) || entries.has(`${host}:${DEFAULT_PORT[url.protocol]}`);
  return entries.has(`${host}:${url.port}`);
}

/** `POST https://host/v1/sync` without credentials or secret-looking query values. */
export function requestLine(request: Pick<HttpRequest, 'method' | 'url'>): string {
  return `${request.method} ${safeUrl(request.url)}`;
}

/** The exact request, as text for a plan: method, URL, header names with values redacted, body. */
export function describeHttpRequest(request: HttpRequest): string {
  const lines = [requestLine(request)];
  for (const name of Object.keys(request.headers)) lines.push(`${name}: [redacted]`);
  if (request.body !== undefined) lines.push('', request.body);
  return lines.join('\n');
}

/**
 * Sends the request after checking its target against `allowedHosts`; never follows a redirect, gives up
 * after `timeoutMs`, reads at most `maxBytes` of the body. Errors are one sentence without secrets.
 */
export async function performHttpRequest(
  request: HttpRequest,
  ctx: { allowedHosts: readonly string[] },
  timeoutMs: number,
  options: PerformOptions = {},
): Promise<HttpResponse> {
  const refusal = targetRefusal(request.url, ctx.allowedHosts);
  if (refusal) throw new Error(refusal);
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    try {
      headers.set(name, value);
    } catch {
      throw new Error(`The header ${name} has a name or value that cannot be sent.`);
    }
  }
  const signal = AbortSignal.timeout(timeoutMs);
  const line = requestLine(request);
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers,
      body: request.body,
      redirect: 'manual',
      signal,
    });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(
        `${line} answered with a redirect to ${redirectHost(response, request.url)}; opsbot does not follow redirects.`,
      );
    }
    const body = await readCappedBody(response, options.maxBytes ?? DEFAULT_MAX_BYTES);
    const text = body.bytes.toString('utf8');
    return {
      status: response.status,
      statusText: response.statusText || STATUS_CODES[response.status] || '',
      json: body.overLimit ? undefined : parseJson(text),
      text,
      truncated: body.overLimit,
    };
  } catch (error) {
    if (signal.aborted) throw new Error(`The API did not answer within ${formatMs(timeoutMs)} (${line}).`);
    if (error instanceof Error && error.message.startsWith(line)) throw error;
    throw new Error(`${line} failed: ${networkReason(error)}.`);
  }
}

/** The sentence for a status the action did not expect: the status and a short reason from the body. */
export function unexpectedStatus(request: HttpRequest, response: HttpResponse): string {
  const reason = errorText(response);
  return `${requestLine(request)} answered ${response.status} ${response.statusText}`.trimEnd() + reason;
}

function errorText(response: HttpResponse): string {
  const json = response.json;
  let text = response.text;
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
    const fields = json as Record<string, unknown>;
    const field = [fields.error, fields.message, fields.detail].find(
      (value) => typeof value === 'string' && value.trim() !== '',
    );
    if (typeof field === 'string') text = field;
  }
  const clean = text.replace(/\s+/g, ' ').trim();
  if (!clean) return '.';
  return `: ${clean.length > 200 ? `${clean.slice(0, 197)}...` : clean}`;
}

function safeUrl(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  for (const name of [...copy.searchParams.keys()]) {
    if (SECRET_QUERY.test(name)) copy.searchParams.set(name, '[redacted]');
  }
  return copy.href;
}

function redirectHost(response: Response, base: URL): string {
  const location = response.headers.get('location');
  if (!location) return 'an unnamed location';
  try {
    return new URL(location, base).host;
  } catch {
    return 'an invalid location';
  }
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function networkReason(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  return error instanceof Error && error.name !== 'TypeError' ? error.name : 'the connection failed';
}

/** `200 ms`, `10 s`, `1.5 s`. */
function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}
