/**
 * Runs `work` every `everyMs` in this process, never two passes at once (a pass still running skips a beat);
 * a failed pass goes to `failed` and the next beat tries again. Returns its stop, which waits for a pass
 * under way.
 */
export function repeatEvery(
  everyMs: number,
  work: () => Promise<void>,
  failed: (error: unknown) => void,
): () => Promise<void> {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= work()
      .catch(failed)
      .finally(() => {
        running = undefined;
      });
  }, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
