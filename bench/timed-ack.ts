import { performance } from 'node:perf_hooks';

/** How one request was answered: its HTTP status (0: no answer, or the connection failed) and its time in ms. */
export interface Ack {
  status?: number;
  ackMs?: number;
}

/**
 * Sends `request` now and records on `ack`, without waiting, its answer's status and the time until the answer
 * was read to its end; status 0 when it failed or timed out.
 */
export function timeAck(ack: Ack, request: () => Promise<Response>): void {
  const t0 = performance.now();
  request()
    .then(async (response) => {
      await response.arrayBuffer();
      ack.status = response.status;
      ack.ackMs = performance.now() - t0;
    })
    .catch(() => {
      ack.status = 0;
    });
}

/** A command-line option that must be a number of at least 0; throws naming the option otherwise. */
export function numberOption(values: Record<string, unknown>, name: string): number {
  const value = Number(values[name]);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`--${name} must be a number, not ${values[name]}`);
  return value;
}
