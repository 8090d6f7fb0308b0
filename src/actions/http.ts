import { z } from 'zod';
import { Duration } from '../config/duration.js';
import type { ConfigProblem } from '../config/problems.js';
import type { ResultTable } from '../result-table.js';
import {
  describeHttpRequest,
  type HttpResponse,
  hostAllowed,
  performHttpRequest,
  requestLine,
  targetRefusal,
  unexpectedStatus,
} from './http-request.js';
import {
  buildHttpRequest,
  HTTP_METHODS,
  type HttpRequest,
  hostHasPlaceholder,
  type JsonValue,
  placeholders,
} from './http-template.js';
import { type ActionKind, baseActionFields } from './types.js';

/** Rows shown on a run card from an array the response holds. */
const SHOWN_ROWS = 20;
/** Characters of the response shown when `show` picks no fields. */
const SUMMARY_CHARS = 500;

const Status = z.number().int().min(100).max(599);

/** `status`, `jobs[].id`, `[].name`, `data.items[].error.message`, `jobs.0.id`. */
const FieldPath = z
  .string()
  .max(200)
  .regex(
    /^(\[\]|[A-Za-z0-9_-]+(\[\])?)(\.[A-Za-z0-9_-]+(\[\])?)*$/,
    'must be a field path such as status or jobs[].id',
  )
  .refine((path) => (path.match(/\[\]/g) ?? []).length <= 1, 'may hold at most one []');

const HeaderName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be an HTTP header name');

/** An ops.yml entry of kind `http`. */
export const HttpActionSchema = z.strictObject({
  kind: z.literal('http'),
  ...baseActionFields,
  method: z.enum(HTTP_METHODS),
  /** `https://api.example/v1/jobs/{id}?status={status}`; params are percent-encoded into it. */
  url: z.string().min(1).max(2000),
  /** Values come from `${ENV}` (enforced at load); they are sent, never shown. */
  headers: z.record(HeaderName, z.string().max(8192)).default({}),
  /** A JSON template; `{param}` inside strings is filled in, a lone `{param}` keeps a number's type. */
  body: z.json().optional(),
  /** The statuses that mean success; any 2xx when unset. */
  expect_status: z.union([Status, z.array(Status).min(1)]).optional(),
  /** Response fields to show (`status`, `jobs[].id`); a short JSON summary when unset. */
  show: z.array(FieldPath).min(1).max(12).optional(),
  timeout: Duration.prefault('10s'),
  idempotent: z.boolean().default(false),
  /** GET only: send the request while planning too, and show its answer in the plan. */
  preview: z.boolean().default(false),
});

export type HttpAction = z.infer<typeof HttpActionSchema>;

/** A call to a service's admin API (re-run a sync, list failed jobs, ...), to allow-listed hosts only. */
export const httpKind: ActionKind<HttpAction> = {
  kind: 'http',
  configSchema: HttpActionSchema,
  help: {
    line: "Calls the service's admin API (allow-listed hosts only) and shows chosen fields of the answer.",
    example: [
      'sync:  # /ops sync <service> docs',
      '  kind: http',
      '  summary: Re-run the sync of one project',
      '  method: POST',
      '  url: https://admin.example.com/v1/sync/{project}',
      '  headers: { authorization: "Bearer ${ADMIN_TOKEN}" }',
      '  params:',
      '    project: { type: string, pattern: "^[a-z0-9_-]+$" }',
      '  expect_status: [200, 202]',
      '  show: [job_id, status]',
    ].join('\n'),
  },
  idempotent: (config) => config.idempotent,

  check(config, service) {
    const problems: ConfigProblem[] = [];
    const used = [
      ...placeholders(config.url).map((name) => ({ name, field: 'url' })),
      ...placeholders(config.body as JsonValue | undefined).map((name) => ({ name, field: 'body' })),
    ];
    for (const { name, field } of used) {
      if (!Object.hasOwn(config.params, name)) {
        problems.push({ path: [field], message: `uses {${name}}, which is not a declared param` });
      }
    }
    problems.push(...checkUrl(config.url, service.allowedHosts));
    if (config.body !== undefined && config.method === 'GET') {
      problems.push({ path: ['body'], message: 'is not sent with GET; remove it or use another method' });
    }
    if (config.preview && config.method !== 'GET') {
      problems.push({
        path: ['preview'],
        message: 'is only possible for GET requests, which change nothing',
      });
    }
    const arrays = new Set((config.show ?? []).map(parsePath).flatMap((path) => path.array ?? []));
    if (arrays.size > 1) {
      problems.push({ path: ['show'], message: 'may take rows from one array only (one prefix before [])' });
    }
    return problems;
  },

  async plan(config, ctx) {
    const request = checkedRequest(config, ctx);
    const text = describeHttpRequest(request);
    const summary = `Would send:\n\`\`\`${text.replace(/`/g, "'")}\`\`\``;
    if (!(config.preview && config.method === 'GET')) return { summary };
    const response = await send(config, request, ctx);
    const shown = showResponse(config, response);
    return {
      summary: `${summary}\nIt answers now: ${response.status} ${shown.summary}`.trimEnd(),
      ...shown.table,
    };
  },

  async execute(config, ctx) {
    const request = checkedRequest(config, ctx);
    ctx.progress(`Calling ${requestLine(request)}`);
    const response = await send(config, request, ctx);
    const shown = showResponse(config, response);
    const line = `${requestLine(request)} → ${response.status} ${response.statusText}`.trimEnd();
    return { summary: shown.summary ? `${line}\n${shown.summary}` : line, ...shown.table };
  },
};

/** The filled request, refused with one sentence when its target is not allowed. */
function checkedRequest(
  config: HttpAction,
  ctx: { params: Parameters<typeof buildHttpRequest>[1]; allowedHosts: readonly string[] },
): HttpRequest {
  const request = buildHttpRequest({ ...config, body: config.body as JsonValue | undefined }, ctx.params);
  const refusal = targetRefusal(request.url, ctx.allowedHosts);
  if (refusal) throw new Error(refusal);
  return request;
}

async function send(
  config: HttpAction,
  request: HttpRequest,
  ctx: { allowedHosts: readonly string[]; log: { info(obj: object, msg: string): void } },
): Promise<HttpResponse> {
  const response = await performHttpRequest(request, ctx, config.timeout);
  ctx.log.info({ request: requestLine(request), status: response.status }, 'http action answered');
  if (!statusExpected(config.expect_status, response.status))
    throw new Error(unexpectedStatus(request, response));
  return response;
}

function statusExpected(expected: number | number[] | undefined, status: number): boolean {
  if (expected === undefined) return status >= 200 && status < 300;
  return Array.isArray(expected) ? expected.includes(status) : expected === status;
}

/** Problems with the URL template that are visible without params. */
function checkUrl(template: string, allowedHosts: readonly string[] | undefined): ConfigProblem[] {
  let url: URL;
  try {
    url = new URL(template.replace(/\{[a-z][a-z0-9_]{0,31}\}/g, '1'));
  } catch {
    return [{ path: ['url'], message: 'is not a valid URL (params are written {name})' }];
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return [{ path: ['url'], message: 'must be an https:// URL' }];
  }
  if (url.username || url.password) {
    return [{ path: ['url'], message: 'carries credentials; send them in a header written ${ENV_NAME}' }];
  }
  if (hostHasPlaceholder(template)) return [];
  // Allowing the URL's own host leaves only the scheme rules (https, except to loopback).
  const refusal = targetRefusal(url, [url.host]);
  if (refusal) return [{ path: ['url'], message: refusal.replace(/\.$/, '') }];
  if (allowedHosts && !hostAllowed(url, allowedHosts)) {
    return [
      {
        path: ['url'],
        message: `calls ${url.host}, which is not in the service's allowed_hosts (${allowedHosts.join(', ') || 'none'})`,
      },
    ];
  }
  return [];
}

interface FieldPathParts {
  /** Segments up to the array whose items are rows, when the path has `[]`. */
  array?: string;
  arraySegments: string[];
  /** Segments below the array item (or from the root, without `[]`). */
  rest: string[];
  text: string;
}

function parsePath(text: string): FieldPathParts {
  const index = text.indexOf('[]');
  if (index < 0) return { arraySegments: [], rest: text.split('.'), text };
  const prefix = text.slice(0, index);
  const after = text.slice(index + 2).replace(/^\./, '');
  return {
    array: prefix,
    arraySegments: prefix === '' ? [] : prefix.split('.'),
    rest: after === '' ? [] : after.split('.'),
    text,
  };
}

function pick(value: unknown, segments: string[]): unknown {
  let current = value;
  for (const segment of segments) {
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)];
    else if (current !== null && typeof current === 'object' && Object.hasOwn(current, segment)) {
      current = (current as Record<string, unknown>)[segment];
    } else return undefined;
  }
  return current;
}

/** The response as the action's `show` asks: a table of rows from one array, scalars in the summary. */
function showResponse(
  config: HttpAction,
  response: HttpResponse,
): { summary: string; table?: { table: ResultTable } } {
  if (response.truncated) return { summary: 'The response was larger than 1 MB; it is not shown.' };
  if (!config.show) return { summary: briefBody(response) };
  if (response.json === undefined) return { summary: 'The response was not JSON, so no fields are shown.' };
  const paths = config.show.map(parsePath);
  const arrayPaths = paths.filter((path) => path.array !== undefined);
  const scalarPaths = paths.filter((path) => path.array === undefined);
  if (arrayPaths.length === 0) {
    return {
      summary: '',
      table: {
        table: {
          columns: scalarPaths.map((path) => path.text),
          rows: [scalarPaths.map((path) => cellText(pick(response.json, path.rest)))],
          total: 1,
        },
      },
    };
  }
  const scalars = scalarPaths.map((path) => `${path.text}: ${cellText(pick(response.json, path.rest))}`);
  const first = arrayPaths[0] as FieldPathParts;
  const items = pick(response.json, first.arraySegments);
  const list = Array.isArray(items) ? items : [];
  const table: ResultTable = {
    columns: arrayPaths.map((path) => path.rest.join('.') || path.text),
    rows: list.slice(0, SHOWN_ROWS).map((item) => arrayPaths.map((path) => cellText(pick(item, path.rest)))),
    total: list.length,
  };
  const notArray = Array.isArray(items) ? [] : [`${first.array || 'The response'} is not a list.`];
  return { summary: [...scalars, ...notArray].join('\n'), table: { table } };
}

function briefBody(response: HttpResponse): string {
  const text = response.json === undefined ? response.text.trim() : JSON.stringify(response.json);
  if (!text) return '';
  const clipped = text.length > SUMMARY_CHARS ? `${text.slice(0, SUMMARY_CHARS - 3)}...` : text;
  return `\`${clipped.replace(/[`\n]/g, ' ')}\``;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '∅';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
