import type { Pool } from 'pg';
import { type Run, RunSchema } from '../runs/run.js';

/** Some rows of a list, and how many there are in all. */
export interface Page<T> {
  rows: T[];
  total: number;
}

/** The App Home's reads of action_runs: bounded, newest first. */
export class HomeStore {
  constructor(private readonly pool: Pool) {}

  /** The user's newest runs, at most `limit`, and how many they have requested in all. */
  recentRuns(user: string, limit: number): Promise<Page<Run>> {
    return this.page(
      'SELECT *, count(*) OVER () AS total FROM action_runs WHERE requested_by = $1 ORDER BY created_at DESC, id LIMIT $2',
      [user, limit],
    );
  }

  /** Runs waiting for a second person that someone other than `user` requested and whose window is open. */
  pendingApprovals(user: string, limit: number): Promise<Page<Run>> {
    return this.page(
      `SELECT *, count(*) OVER () AS total FROM action_runs
        WHERE state = 'awaiting_approval' AND requested_by <> $1 AND (expires_at IS NULL OR expires_at > now())
        ORDER BY created_at DESC, id LIMIT $2`,
      [user, limit],
    );
  }

  private async page(sql: string, values: unknown[]): Promise<Page<Run>> {
    const { rows } = await this.pool.query(sql, values);
    return { rows: rows.map((row) => RunSchema.parse(row)), total: Number(rows[0]?.total ?? 0) };
  }
}
