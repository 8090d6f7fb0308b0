import { STATUS_CODES } from 'node:http';
import type { ParamValue, ParamValues } from './params.js';

/**
 * Outbound HTTP calls to a service's admin API (DESIGN §8): URL and body templates filled from params
 * without letting a value change the request's structure, allow-listed hosts, HTTPS except to loopback,
 * a timeout, a bounded response, no redirects, and header values that are never shown.
 */

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** A JSON value; string leaves of a body template may contain `{param}` placeholders. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What a request is built from: an `http` action's config, or any other kind's. */
export interface HttpRequestTemplate {
  method: HttpMethod;
  /** `https://host/v1/jobs/{id}?status={status}`; values are percent-encoded into it. */
  url: string;
  /** Values are secrets resolved from `${ENV}`: sent, never shown. */
  headers?: Record<string, string>;
  body?: JsonValue;
}

/** A request ready to send; `describeHttpRequest` shows it without secrets. */
export interface HttpRequest {
  method: HttpMethod;
  url: URL;
  headers: Record<string, string>;
  /** The JSON text sent, if any. */
  body?: string;
}

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

export interface PerformOptions {
  /** Largest response body read (default 1 MB); the rest is discarded. */
  maxBytes?: number;
}

/** A `{param}` placeholder in a URL or body template. */
const PLACEHOLDER = /\{([a-z][a-z0-9_]{0,31})\}/g;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };
const MAX_URL_LENGTH = 32_768;
const STRUCTURE_CHANGED = 'A param value would change the structure of the request URL.';
const DEFAULT_MAX_BYTES = 1024 * 1024;
/** Query parameters whose values are shown as [redacted] (`?api_key=...`). */
const SECRET_QUERY = /(^|_|-)(key|token|password|secret|signature|auth)$/i;

/** The names of the params a template uses, in order, without repeats. */
export function placeholders(template: JsonValue | string | undefined): string[] {
  const names = new Set<string>();
  const visit = (value: JsonValue | undefined): void => {
    if (typeof value === 'string') for (const match of value.matchAll(PLACEHOLDER)) names.add(match[1] ?? '');
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(template);
  return [...names];
}

/**
 * Fills a URL template: each value is percent-encoded (path and query alike), so no value can change the
 * scheme, host, port or the path's segments. Throws a one-sentence error when a value could.
 */
export function fillUrl(template: string, params: ParamValues): URL {
  let filled: string;
  try {
    filled = template.replace(PLACEHOLDER, (_, name: string) => {
      const value = params[name];
      // `/`, `?`, `#`, `@`, `:` are all encoded; a `.` or `..` segment is caught below.
      return encodeURIComponent(value === undefined ? '' : String(value));
    });
  } catch (error) {
    if (error instanceof URIError) throw new Error('A param value is not valid text.');
    throw error;
  }
  if (filled.length > MAX_URL_LENGTH) throw new Error('The request URL would be longer than 32 kB.');
  // A filled segment of `.` or `..` (a URL parser removes or climbs it) would change the path.
  const templateSegments = pathPart(template).split('/');
  const filledSegments = pathPart(filled).split('/');
  if (
    templateSegments.length !== filledSegments.length ||
    filledSegments.some(
      (segment, i) =>
        new RegExp(PLACEHOLDER.source).test(templateSegments[i] ?? '') && /^(\.|%2e){1,2}$/i.test(segment),
    )
  ) {
    throw new Error(STRUCTURE_CHANGED);
  }
  let url: URL;
  try {
    url = new URL(filled);
  } catch {
    throw new Error('The request URL is not a valid URL once filled in.');
  }
  const skeleton = skeletonOf(template);
  if (
    skeleton &&
    (skeleton.protocol !== url.protocol ||
      (!hostHasPlaceholder(template) && skeleton.host !== url.host) ||
      segments(skeleton.pathname) !== segments(url.pathname))
  ) {
    throw new Error(STRUCTURE_CHANGED);
  }
  if (url.username || url.password) {
    throw new Error('The request URL carries credentials; send them in a header written ${ENV_NAME}.');
  }
  return url;
}

/**
 * Fills a body template: placeholders inside strings are replaced in the parsed value (never by building
 * JSON text), and a string that is exactly one `{param}` of a number keeps the number's type.
 */
export function fillBody(template: JsonValue, params: ParamValues): JsonValue {
  if (typeof template === 'string') {
    const whole = /^\{([a-z][a-z0-9_]{0,31})\}$/.exec(template);
    if (whole) {
      const value: ParamValue | undefined = params[whole[1] ?? ''];
      return value === undefined ? null : value;
    }
    return template.replace(PLACEHOLDER, (_, name: string) => String(params[name] ?? ''));
  }
  if (Array.isArray(template)) return template.map((item) => fillBody(item, params));
  if (template !== null && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([key, value]) => [key, fillBody(value, params)]));
  }
  return template;
}

/** Builds the request a template describes for these params; does not check the host (see checkTarget). */
export function buildHttpRequest(template: HttpRequestTemplate, params: ParamValues): HttpRequest {
  const url = fillUrl(template.url, params);
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: string | undefined;
  if (template.body !== undefined) {
    body = JSON.stringify(fillBody(template.body, params));
    headers['content-type'] = 'application/json';
  }
  for (const [name, value] of Object.entries(template.headers ?? {})) headers[name.toLowerCase()] = value;
  return { method: template.method, url, headers, body };
}

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
    const { text, truncated } = await readBounded(response, options.maxBytes ?? DEFAULT_MAX_BYTES);
    return {
      status: response.status,
      statusText: response.statusText || STATUS_CODES[response.status] || '',
      json: truncated ? undefined : parseJson(text),
      text,
      truncated,
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

async function readBounded(
  response: Response,
  maxBytes: number,
): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > maxBytes) {
      chunks.push(value.subarray(0, maxBytes - size));
      size = maxBytes;
      truncated = true;
      await reader.cancel().catch(() => undefined);
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated };
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
export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

/** The template with placeholders made inert, parsed; undefined when it does not parse. */
function skeletonOf(template: string): URL | undefined {
  try {
    return new URL(template.replace(PLACEHOLDER, '1'));
  } catch {
    return undefined;
  }
}

/** Whether a placeholder sits in the scheme/host/port part of the template. */
export function hostHasPlaceholder(template: string): boolean {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(template)?.[1] ?? template;
  return new RegExp(PLACEHOLDER.source).test(authority);
}

/** The path of a URL as written, before any parsing: after the authority, before `?` or `#`. */
function pathPart(text: string): string {
  return text.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').split(/[?#]/)[0] ?? '';
}

function segments(pathname: string): number {
  return pathname.split('/').length;
}
