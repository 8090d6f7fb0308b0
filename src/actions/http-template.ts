import type { ParamValue, ParamValues } from './params.js';

/**
 * Requests built from templates (DESIGN §8): URL and body templates filled from params without letting a
 * value change the request's structure. Sending them is http-request.ts.
 */

/** The methods a templated request may use. */
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

/** A `{param}` placeholder in a URL or body template. */
const PLACEHOLDER = /\{([a-z][a-z0-9_]{0,31})\}/g;
const MAX_URL_LENGTH = 32_768;
const STRUCTURE_CHANGED = 'A param value would change the structure of the request URL.';

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
