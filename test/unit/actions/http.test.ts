import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpAction, HttpActionSchema, httpKind } from '../../../src/actions/http.js';
import {
  describeHttpRequest,
  hostAllowed,
  performHttpRequest,
  targetRefusal,
} from '../../../src/actions/http-request.js';
import { buildHttpRequest, fillBody, fillUrl } from '../../../src/actions/http-template.js';
import type { ActionContext } from '../../../src/actions/types.js';
import { parseOpsConfig } from '../../../src/config/load.js';
import { testContext } from '../../support/action-context.js';

const HOSTILE = [
  `"quoted"`,
  "it's; DROP TABLE",
  '../../admin',
  '..',
  '.',
  '/etc/passwd',
  '@evil.com',
  'user:pass@evil.com',
  '?x=1&admin=true',
  '#fragment',
  '%2e%2e',
  '%2F..%2F',
  'ünïcødé 🚀',
  '\\\\evil.com',
  'http://evil.com/',
  '\r\nHost: evil.com',
  'x'.repeat(10_000),
];

describe('fillUrl', () => {
  const template = 'https://api.example:8443/v1/studies/{study}/jobs?status={status}&tag={tag}';
  const base = fillUrl(template, { study: 'abc', status: 'failed', tag: 't' });

  it.each(HOSTILE)('keeps scheme, host, port and path segments for %j', (value) => {
    let url: URL;
    try {
      url = fillUrl(template, { study: value, status: value, tag: value });
    } catch (error) {
      // Refusing is fine too (a `.`/`..` segment); it must be a clear sentence, never a changed URL.
      expect(String(error)).toMatch(/structure of the request URL/);
      return;
    }
    expect(url.protocol).toBe('https:');
    expect(url.hostname).toBe('api.example');
    expect(url.port).toBe('8443');
    expect(url.username).toBe('');
    expect(url.hash).toBe('');
    expect(url.pathname.split('/')).toHaveLength(base.pathname.split('/').length);
    expect(url.pathname.startsWith('/v1/studies/')).toBe(true);
    expect(url.pathname.endsWith('/jobs')).toBe(true);
    expect([...url.searchParams.keys()]).toEqual(['status', 'tag']);
    expect(url.searchParams.get('status')).toBe(value);
    expect(decodeURIComponent(url.pathname.split('/')[3] ?? '')).toBe(value);
  });

  it('refuses dot segments that would climb the path', () => {
    expect(() => fillUrl('https://a.example/v1/jobs/{id}/retry', { id: '..' })).toThrow(/structure/);
    expect(() => fillUrl('https://a.example/v1/jobs/{id}', { id: '.' })).toThrow(/structure/);
    expect(fillUrl('https://a.example/v1/jobs?q={id}', { id: '..' }).search).toBe('?q=..');
  });

  it('leaves a missing optional param empty and never invents a host from a param', () => {
    expect(fillUrl('https://a.example/v1/sync/jobs?status={status}', {}).href).toBe(
      'https://a.example/v1/sync/jobs?status=',
    );
    expect(() => fillUrl('https://{host}/v1', { host: 'evil.com:80/x' })).toThrow(/not a valid URL/);
  });
});

describe('fillBody', () => {
  it('substitutes into string values as JSON strings, never by building JSON text', () => {
    const body = fillBody(
      { study: '{study}', note: 'retry of {study} by ops', nested: [{ id: '{study}' }], limit: '{limit}' },
      { study: '"},{"admin":true', limit: 5 },
    );
    expect(body).toEqual({
      study: '"},{"admin":true',
      note: 'retry of "},{"admin":true by ops',
      nested: [{ id: '"},{"admin":true' }],
      limit: 5,
    });
    expect(JSON.parse(JSON.stringify(body))).not.toHaveProperty('admin');
  });

  it('keeps numbers, booleans and null, and leaves keys alone', () => {
    expect(fillBody({ '{k}': true, n: 3, z: null, s: '{missing}' }, { k: 'x' })).toEqual({
      '{k}': true,
      n: 3,
      z: null,
      s: null,
    });
    expect(fillBody('count {n}', { n: 7 })).toBe('count 7');
  });
});

describe('host allow-list and scheme', () => {
  const url = (text: string) => new URL(text);
  it('matches hosts exactly, and host:port entries only on that port', () => {
    expect(hostAllowed(url('https://api.example/x'), ['api.example'])).toBe(true);
    expect(hostAllowed(url('https://API.example/x'), ['api.example'])).toBe(true);
    expect(hostAllowed(url('https://api.example:443/x'), ['api.example'])).toBe(true); // default port
    expect(hostAllowed(url('https://api.example:8443/x'), ['api.example'])).toBe(false);
    expect(hostAllowed(url('https://api.example:8443/x'), ['api.example:8443'])).toBe(true);
    expect(hostAllowed(url('https://api.example:9443/x'), ['api.example:8443'])).toBe(false);
    expect(hostAllowed(url('https://evil-api.example/x'), ['api.example'])).toBe(false);
    expect(hostAllowed(url('https://api.example.evil.com/x'), ['api.example'])).toBe(false);
    expect(hostAllowed(url('https://sub.api.example/x'), ['api.example'])).toBe(false);
    expect(hostAllowed(url('http://127.0.0.1:8080/x'), ['127.0.0.1'])).toBe(false);
  });

  it('refuses plain http except to loopback, and other schemes', () => {
    expect(targetRefusal(url('http://api.example/x'), ['api.example'])).toMatch(/must be called over https/);
    expect(targetRefusal(url('http://127.0.0.1:8080/x'), ['127.0.0.1:8080'])).toBeUndefined();
    expect(targetRefusal(url('http://localhost:8080/x'), ['localhost:8080'])).toBeUndefined();
    expect(targetRefusal(url('ftp://api.example/x'), ['api.example'])).toMatch(/only calls http/);
    expect(targetRefusal(url('https://other.example/x'), ['api.example'])).toBe(
      "other.example is not in this service's allowed_hosts (api.example).",
    );
  });
});

const SECRET = 'Bearer sk-live-very-secret-token-1234';

function action(fields: Record<string, unknown>): HttpAction {
  return HttpActionSchema.parse({ kind: 'http', summary: 'Call the API', ...fields });
}

function context(allowedHosts: string[], params: ActionContext['params'] = {}): ActionContext {
  return testContext({ service: 'redmine', environment: 'production', params, allowedHosts });
}

describe('the http kind', () => {
  const sync = action({
    method: 'POST',
    url: 'https://redmine.example/v1/sync/redmine?project={project}',
    headers: { Authorization: SECRET, 'X-Api-Key': 'key-abcdef-123456' },
    params: { project: { type: 'string' }, limit: { type: 'integer', optional: true } },
    body: { project: '{project}', limit: '{limit}', reason: 'opsbot' },
  });

  it('plans the exact request with header values redacted', async () => {
    const plan = await httpKind.plan(sync, context(['redmine.example'], { project: 'core', limit: 50 }));
    expect(plan.summary).toContain('POST https://redmine.example/v1/sync/redmine?project=core');
    expect(plan.summary).toContain('authorization: [redacted]');
    expect(plan.summary).toContain('x-api-key: [redacted]');
    expect(plan.summary).toContain('{"project":"core","limit":50,"reason":"opsbot"}');
    expect(plan.summary).not.toContain('sk-live');
    expect(plan.summary).not.toContain('key-abcdef');
  });

  it('describes a request without credentials or secret-looking query values', () => {
    const request = buildHttpRequest(
      { method: 'GET', url: 'https://a.example/v1/jobs?api_key={k}&status=failed', headers: { A: SECRET } },
      { k: 'supersecretkey' },
    );
    const text = describeHttpRequest(request);
    expect(text).not.toContain('supersecretkey');
    expect(text).not.toContain('sk-live');
    expect(text).toContain('status=failed');
  });

  it('refuses at plan time a host that is not allowed, in one sentence', async () => {
    await expect(httpKind.plan(sync, context(['other.example'], { project: 'core' }))).rejects.toThrow(
      "redmine.example is not in this service's allowed_hosts (other.example).",
    );
  });

  it('reports config problems: undeclared params, hosts not allowed, plain http, GET bodies', () => {
    const problems = httpKind.check(
      action({
        method: 'GET',
        url: 'http://api.example/v1/{nope}',
        body: { a: '{other}' },
        show: ['jobs[].id', 'items[].id'],
        preview: true,
      }),
      { databases: [], allowedHosts: ['api.example'] },
    );
    const messages = problems.map((p) => `${p.path.join('.')}: ${p.message}`);
    expect(messages).toEqual([
      'url: uses {nope}, which is not a declared param',
      'body: uses {other}, which is not a declared param',
      'url: api.example must be called over https; plain http is only allowed to loopback',
      'body: is not sent with GET; remove it or use another method',
      'show: may take rows from one array only (one prefix before [])',
    ]);
    expect(
      httpKind.check(action({ method: 'POST', url: 'https://elsewhere.example/v1' }), {
        databases: [],
        allowedHosts: ['api.example'],
      }),
    ).toEqual([
      {
        path: ['url'],
        message: "calls elsewhere.example, which is not in the service's allowed_hosts (api.example)",
      },
    ]);
    // A host filled from a param can only be checked when the request is made.
    expect(
      httpKind.check(action({ method: 'GET', url: 'https://{h}/v1', params: { h: { type: 'string' } } }), {
        databases: [],
        allowedHosts: [],
      }),
    ).toEqual([]);
  });

  it('is reported by config check through ops.yml', () => {
    const yaml = `
workspace: { ops_channel: C0OPS }
services:
  redmine:
    environment: production
    allowed_hosts: [redmine.example]
    actions:
      sync:
        kind: http
        summary: Re-run the Redmine sync
        method: POST
        url: https://evil.example/v1/sync/redmine
        headers: { Authorization: "Bearer hard-coded" }
`;
    expect(() => parseOpsConfig(yaml, {})).toThrow(/headers\.Authorization.*secret written in the file/);
    const withEnv = yaml.replace('"Bearer hard-coded"', '"${REDMINE_TOKEN}"');
    expect(() => parseOpsConfig(withEnv, { REDMINE_TOKEN: 'tok' })).toThrow(
      /services\.redmine\.actions\.sync\.url.*not in the service's allowed_hosts/,
    );
    const fixed = withEnv.replace('evil.example', 'redmine.example');
    const config = parseOpsConfig(fixed, { REDMINE_TOKEN: 'tok' });
    expect(config.services.redmine?.actions.sync?.kind).toBe('http');
  });
});

describe('performHttpRequest and execute against a local API', () => {
  let server: Server;
  let base: string;
  let host: string;
  const seen: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const routes: Record<string, (res: ServerResponse) => void> = {
    '/ok': (res) => {
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: 'queued',
          jobs: [
            { id: 1, error: 'x' },
            { id: 2, error: 'y' },
          ],
        }),
      );
    },
    '/fail': (res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'database is locked', trace: 'z'.repeat(5000) }));
    },
    '/redirect': (res) => {
      res.writeHead(302, { location: 'https://evil.example/steal' });
      res.end();
    },
    '/huge': (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`"${'a'.repeat(3 * 1024 * 1024)}"`);
    },
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        const route = routes[(req.url ?? '').split('?')[0] ?? ''];
        if (route) route(res);
        else {
          res.writeHead(404);
          res.end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    base = `http://${host}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the request with its headers and shows the selected fields', async () => {
    const config = action({
      method: 'POST',
      url: `${base}/ok?project={project}`,
      headers: { Authorization: SECRET },
      params: { project: { type: 'string' } },
      body: { project: '{project}' },
      show: ['status', 'jobs[].id', 'jobs[].error'],
    });
    const result = await httpKind.execute(config, context([host], { project: 'a b&c' }));
    expect(result.summary).toBe(`POST ${base}/ok?project=a%20b%26c → 202 Accepted\nstatus: queued`);
    expect(result.table).toEqual({
      columns: ['id', 'error'],
      rows: [
        ['1', 'x'],
        ['2', 'y'],
      ],
      total: 2,
    });
    const request = seen.at(-1);
    expect(request?.headers.authorization).toBe(SECRET);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual({ project: 'a b&c' });
  });

  it('previews a GET while planning when asked, and only then', async () => {
    const before = seen.length;
    const listing = { method: 'GET', url: `${base}/ok`, show: ['jobs[].id'] };
    const quiet = await httpKind.plan(action(listing), context([host]));
    expect(seen.length).toBe(before);
    expect(quiet.table).toBeUndefined();
    const plan = await httpKind.plan(action({ ...listing, preview: true }), context([host]));
    expect(seen.length).toBe(before + 1);
    expect(plan.summary).toContain(`GET ${base}/ok`);
    expect(plan.table).toEqual({ columns: ['id'], rows: [['1'], ['2']], total: 2 });
  });

  it('fails an unexpected status with the status and a short reason', async () => {
    const config = action({ method: 'POST', url: `${base}/fail`, headers: { Authorization: SECRET } });
    await expect(httpKind.execute(config, context([host]))).rejects.toThrow(
      `POST ${base}/fail answered 500 Internal Server Error: database is locked`,
    );
  });

  it('accepts a configured status', async () => {
    const config = action({ method: 'GET', url: `${base}/fail`, expect_status: [500] });
    const result = await httpKind.execute(config, context([host]));
    expect(result.summary).toContain('→ 500 Internal Server Error');
    expect(result.summary.length).toBeLessThan(700);
  });

  it('never follows a redirect', async () => {
    const config = action({ method: 'GET', url: `${base}/redirect` });
    await expect(httpKind.execute(config, context([host]))).rejects.toThrow(
      'answered with a redirect to evil.example; opsbot does not follow redirects',
    );
  });

  it('cuts a response larger than the bound', async () => {
    const request = buildHttpRequest({ method: 'GET', url: `${base}/huge` }, {});
    const response = await performHttpRequest(request, { allowedHosts: [host] }, 5000, { maxBytes: 1000 });
    expect(response.truncated).toBe(true);
    expect(response.text).toHaveLength(1000);
    expect(response.json).toBeUndefined();
  });

  it('refuses a host that is not allowed without contacting it', async () => {
    const before = seen.length;
    const config = action({ method: 'POST', url: `${base}/ok` });
    await expect(httpKind.execute(config, context(['127.0.0.1:1']))).rejects.toThrow(
      /not in this service's allowed_hosts/,
    );
    expect(seen.length).toBe(before);
  });
});
