import { describe, expect, it } from 'vitest';
import { readCappedBody } from '../../../src/net/capped-body.js';

const CHUNK = 16 * 1024;

/** A response whose body is `total` bytes (endless when undefined), counting what its reader pulled. */
function countedResponse(total?: number) {
  const source = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const size = total === undefined ? CHUNK : Math.min(CHUNK, total - source.pulled);
      if (size <= 0) {
        controller.close();
        return;
      }
      source.pulled += size;
      controller.enqueue(new Uint8Array(size).fill(source.pulled % 251));
    },
    cancel() {
      source.cancelled = true;
    },
  });
  return { response: new Response(body), source };
}

describe('readCappedBody', () => {
  it('stops an endless body at the limit: the first bytes, and the stream cancelled a chunk or two later', async () => {
    const limit = 100 * 1024 + 7;
    const { response, source } = countedResponse();
    const body = await readCappedBody(response, limit);
    expect(body.overLimit).toBe(true);
    expect(body.bytes).toHaveLength(limit);
    expect(source.cancelled).toBe(true);
    expect(source.pulled).toBeLessThanOrEqual(limit + 2 * CHUNK);
  });

  it('reads a body of exactly the limit in full, and one byte more is over it', async () => {
    const exact = countedResponse(3 * CHUNK);
    expect(await readCappedBody(exact.response, 3 * CHUNK)).toMatchObject({ overLimit: false });
    expect(exact.source.cancelled).toBe(false);
    const over = countedResponse(3 * CHUNK + 1);
    const body = await readCappedBody(over.response, 3 * CHUNK);
    expect(body).toMatchObject({ overLimit: true });
    expect(body.bytes).toHaveLength(3 * CHUNK);
  });

  it('keeps the bytes in order', async () => {
    const body = await readCappedBody(new Response('{"status":"healthy"}'), 1024);
    expect(body).toEqual({ bytes: Buffer.from('{"status":"healthy"}'), overLimit: false });
  });

  it('reads an answer without a body as empty', async () => {
    expect(await readCappedBody(new Response(null, { status: 204 }), 10)).toEqual({
      bytes: Buffer.alloc(0),
      overLimit: false,
    });
  });
});
