import type { Worker } from 'bullmq';

/**
 * Closes a worker: it takes no new job from now on, and the jobs it is running get `graceMs` to finish.
 * Resolves true once they have, false when the grace ran out first: they are left running, and once the
 * process exits their locks lapse and another worker is handed them, as after a crash.
 */
export async function closeWithin(worker: Worker, graceMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<boolean>((resolve) => {
    timer = setTimeout(resolve, graceMs, false);
  });
  try {
    return await Promise.race([worker.close().then(() => true), graceOver]);
  } finally {
    clearTimeout(timer);
  }
}
