/** A response body read up to a byte limit: at most `limit` bytes of it, and whether it had more. */
export interface CappedBody {
  /** The body's first bytes, `limit` at most. */
  bytes: Buffer;
  /** Whether the body was longer than `limit`; its stream was cancelled there, the rest never read. */
  overLimit: boolean;
}

/**
 * Reads a fetch response's body as a stream and stops at `limit` bytes: once a chunk passes it, the stream
 * is cancelled (closing the connection), so an endpoint answering gigabytes costs at most a chunk more.
 */
export async function readCappedBody(response: Response, limit: number): Promise<CappedBody> {
  if (!response.body) return { bytes: Buffer.alloc(0), overLimit: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: Buffer.concat(chunks), overLimit: false };
    if (size + value.byteLength > limit) {
      chunks.push(value.subarray(0, limit - size));
      await reader.cancel().catch(() => undefined);
      return { bytes: Buffer.concat(chunks), overLimit: true };
    }
    chunks.push(value);
    size += value.byteLength;
  }
}
