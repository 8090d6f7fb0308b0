import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHttpCheck } from '../../../src/health/checks/http.js';

/** The body /endless sends if nobody stops reading it: far more than the 256 KiB a check reads. */
const BODY_BYTES = 128 * 1024 * 1024;
/**
 * What the server may have written when the check closes the connection: 256 KiB read, plus what the
 * kernel's socket buffers on both sides took meanwhile (up to 32 MiB + 4 MiB on Linux); half the body.
 */
const WRITTEN_AT_MOST = BODY_BYTES / 2;
const CHUNK = Buffer.alloc(64 * 1024, ' ');

/** How one request to the server ended: what it had written when the connection closed. */
interface Ending {
  written: number;
  finished: boolean;
}

let server: Server;
let base: string;
let ended: Promise<Ending>;

beforeAll(async () => {
  server = createServer((req, res) => {
    ended = new Promise((resolve) => {
      let written = 0;
      res.on('close', () => resolve({ written, finished: res.writableFinished }));
      res.writeHead(req.url === '/endless-503' ? 503 : 200, { 'content-type': 'application/json' });
      if (req.url === '/exact') {
        // 256 KiB exactly: {"status":"healthy","pad":"   ..."}
        const head = '{"status":"healthy","pad":"';
        res.end(`${head}${' '.repeat(256 * 1024 - head.length - 2)}"}`);
        return;
      }
      // Written only as fast as it is taken, so `written` is what the client side let in.
      const pump = () => {
        while (written < BODY_BYTES) {
          written += CHUNK.length;
          if (!res.write(CHUNK)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function check(path: string, expect?: { status: number; json?: Record<string, unknown> }) {
  return runHttpCheck({
    name: 'api',
    url: `${base}${path}`,
    expect,
    latency_budget: 30_000,
    timeout: 30_000,
  });
}

describe('an HTTP health check whose endpoint answers too much', () => {
  it('stops reading at 256 KiB: critical, and the connection is closed long before the body ends', async () => {
    const result = await check('/endless');
    expect(result).toMatchObject({ level: 'critical', detail: 'the answer is larger than 256 KiB' });
    const ending = await ended;
    expect(ending.finished).toBe(false);
    expect(ending.written).toBeLessThanOrEqual(WRITTEN_AT_MOST);
  });

  it('still reports a wrong status first, as before', async () => {
    const result = await check('/endless-503');
    expect(result).toMatchObject({ level: 'critical', detail: 'answered 503, expected 200' });
    expect((await ended).finished).toBe(false);
  });

  it('reads an answer of exactly 256 KiB in full', async () => {
    const result = await check('/exact', { status: 200, json: { status: 'healthy' } });
    expect(result).toMatchObject({ level: 'ok', detail: '200' });
  });
});
