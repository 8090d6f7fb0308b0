import os from 'node:os';
import type pg from 'pg';

/**
 * BENCH_NICE (root only): the priority (-20 to 19) the bench, opsbot's two processes and the PostgreSQL
 * backends of the bench's database run at, so that other work on a shared machine disturbs the figures less.
 * Unset, everything runs at its usual priority.
 */
export const NICE = process.env.BENCH_NICE === undefined ? undefined : Number(process.env.BENCH_NICE);

export async function renice(
  priority: number,
  pids: (number | undefined)[],
  db: pg.Pool,
  url: string,
): Promise<void> {
  const { rows } = await db.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [
    new URL(url).pathname.slice(1),
  ]);
  for (const pid of [...pids, ...rows.map((row) => Number(row.pid))]) {
    if (pid !== undefined) os.setPriority(pid, priority);
  }
}
