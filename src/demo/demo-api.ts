import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { Histogram, Registry } from 'prom-client';
import { z } from 'zod';
import { DEMO_SCHEMA } from './seed.js';

/** What the demo's degraded-mode switch sends (examples/demo.ops.yml). */
const DegradedBody = z.strictObject({ enabled: z.boolean(), allow_list: z.string().max(1000).optional() });

/** Request latencies the fake API reports: a p95 of about 0.3 s, below the demo's 0.5 s warning. */
const LATENCIES: [seconds: number, count: number][] = [
  [0.04, 60],
  [0.12, 30],
  [0.3, 8],
  [0.9, 2],
];

/** A running fake API: its base URL, and stop(). */
export interface DemoApi {
  url: string;
  stop(): Promise<void>;
}

/**
 * The demo service's API on 127.0.0.1: `/health`, `/v1/health` (degraded while degraded mode is on),
 * `/metrics` (a Prometheus histogram) and `PUT /admin/degraded-mode`, which the demo's switch calls. Its
 * degraded mode is kept in `demo.settings`, so it outlives the process as opsbot's record of it does.
 */
export async function startDemoApi(pool: pg.Pool): Promise<DemoApi> {
  const registry = new Registry();
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an API request',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  for (const [seconds, count] of LATENCIES) for (let i = 0; i < count; i++) latency.observe(seconds);

  const server: Server = createServer((req, res) => {
    route(req, res).catch(() => {
      // Once the status line is out, a 500 can no longer be sent: cut the response short instead.
      if (res.headersSent) res.destroy();
      else send(res, 500, { error: 'internal error' });
    });
  });
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/health') return send(res, 200, { status: 'ok' });
    if (req.method === 'GET' && path === '/v1/health') {
      const { rows } = await pool.query<{ degraded: boolean; allow_list: string | null }>(
        `SELECT degraded, allow_list FROM ${DEMO_SCHEMA}.settings`,
      );
      const degraded = rows[0]?.degraded ? { allow_list: rows[0].allow_list ?? '' } : undefined;
      return send(res, 200, {
        status: degraded ? 'degraded' : 'healthy',
        services: { orchestrator: 'healthy', executor: degraded ? 'degraded' : 'healthy' },
        ...(degraded ? { allowed_models: degraded.allow_list } : {}),
      });
    }
    if (req.method === 'GET' && path === '/metrics') {
      const text = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(text);
      return;
    }
    if (req.method === 'PUT' && path === '/admin/degraded-mode') {
      const body = DegradedBody.safeParse(await readJson(req));
      if (!body.success)
        return send(res, 400, { error: 'expected {"enabled": boolean, "allow_list"?: string}' });
      const { enabled, allow_list } = body.data;
      await pool.query(`UPDATE ${DEMO_SCHEMA}.settings SET degraded = $1, allow_list = $2`, [
        enabled,
        enabled ? (allow_list ?? '') : null,
      ]);
      return send(res, 200, { enabled, ...(enabled ? { allow_list } : {}) });
    }
    send(res, 404, { error: 'not found' });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 64 * 1024) return undefined;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}
