import type { Pool } from 'pg';
import { z } from 'zod';
import { appendAudit } from '../audit/audit-log.js';
import { withTransaction } from '../db/transaction.js';
import type { Step } from './config.js';

export const STEP_STATES = ['waiting', 'running', 'done', 'skipped', 'failed'] as const;
export type StepState = (typeof STEP_STATES)[number];

/** What a finished step leaves for later steps' `when:` and templates. */
export const StepResultSchema = z.object({
  /** A check's level, or the level a wait ended on. */
  level: z.enum(['ok', 'warning', 'critical']).optional(),
  /** A lookup's rows (or an action's result table's). */
  rows: z.number().int().optional(),
  /** The first rows' values by column, for `{step.column}`. */
  columns: z.record(z.string(), z.array(z.string())).optional(),
  /** An answer: the choice made (yes/no for a confirmation), or the value typed. */
  choice: z.string().optional(),
  value: z.string().optional(),
  by: z.string().optional(),
  /** An action step's run: its final state and exit code. */
  state: z.string().optional(),
  exit_code: z.number().int().optional(),
  /** A declared incident's id and channel. */
  incident: z.string().optional(),
  channel: z.string().optional(),
});
export type StepResult = z.infer<typeof StepResultSchema>;

const StepRowSchema = z.object({
  run_id: z.string(),
  position: z.number().int(),
  name: z.string(),
  type: z.string(),
  state: z.enum(STEP_STATES),
  detail: z.string().nullable(),
  child_run_id: z.string().nullable(),
  result: StepResultSchema.nullable(),
  wake_at: z.date().nullable(),
  deadline_at: z.date().nullable(),
  started_at: z.date().nullable(),
  finished_at: z.date().nullable(),
});
export type StepRow = z.infer<typeof StepRowSchema>;

/** Column values a running step may record as it goes. */
export interface StepProgress {
  detail?: string;
  childRunId?: string;
  wakeAt?: Date;
  deadlineAt?: Date;
}

/** runbook_steps: one row per step of a runbook's run; every state change a compare-and-set, audited. */
export class RunbookStore {
  constructor(private readonly pool: Pool) {}

  /** The steps' rows, made once (a resumed runbook finds them as they were). */
  async begin(runId: string, steps: Step[]): Promise<void> {
    await this.pool.query(
      `INSERT INTO runbook_steps (run_id, position, name, type)
       SELECT $1, p, n, t FROM unnest($2::int[], $3::text[], $4::text[]) AS s(p, n, t)
       ON CONFLICT DO NOTHING`,
      [runId, steps.map((_, i) => i), steps.map((step) => step.name), steps.map((step) => step.type)],
    );
  }

  async steps(runId: string): Promise<StepRow[]> {
    const { rows } = await this.pool.query(
      'SELECT * FROM runbook_steps WHERE run_id = $1 ORDER BY position',
      [runId],
    );
    return rows.map((row) => StepRowSchema.parse(row));
  }

  /** waiting → running; undefined when another worker claimed it first. */
  async claim(runId: string, position: number, actor: string): Promise<StepRow | undefined> {
    return this.move(runId, position, 'running', ['waiting'], actor, { started: true });
  }

  /** Records what a running step waits for; only while it is running. */
  async progress(runId: string, position: number, progress: StepProgress): Promise<void> {
    await this.pool.query(
      `UPDATE runbook_steps SET detail = coalesce($3, detail), child_run_id = coalesce($4, child_run_id),
         wake_at = coalesce($5, wake_at), deadline_at = coalesce($6, deadline_at), updated_at = now()
       WHERE run_id = $1 AND position = $2 AND state = 'running'`,
      [
        runId,
        position,
        progress.detail ?? null,
        progress.childRunId ?? null,
        progress.wakeAt ?? null,
        progress.deadlineAt ?? null,
      ],
    );
  }

  /** running → done or failed, or waiting → skipped; undefined when the step was not in that state. */
  async finish(
    runId: string,
    position: number,
    state: 'done' | 'failed' | 'skipped',
    actor: string,
    outcome: { detail?: string; result?: StepResult },
  ): Promise<StepRow | undefined> {
    return this.move(runId, position, state, state === 'skipped' ? ['waiting'] : ['running'], actor, outcome);
  }

  /**
   * A person's answer to a running question step: recorded once (the first answer wins), audited as theirs.
   * Undefined when the question is not open (answered already, timed out, the runbook ended).
   */
  async answer(runId: string, name: string, actor: string, answer: StepResult): Promise<StepRow | undefined> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query(
        `UPDATE runbook_steps SET result = $3, updated_at = now()
         WHERE run_id = $1 AND name = $2 AND type = 'ask' AND state = 'running' AND result IS NULL
           AND deadline_at > now() RETURNING *`,
        [runId, name, JSON.stringify({ ...answer, by: actor })],
      );
      if (!rows[0]) return undefined;
      await appendAudit(client, {
        actor,
        event: 'runbook.step.answered',
        runId,
        detail: { step: name, answer: answer.choice ?? answer.value ?? null },
      });
      return StepRowSchema.parse(rows[0]);
    });
  }

  private move(
    runId: string,
    position: number,
    to: StepState,
    from: StepState[],
    actor: string,
    outcome: { detail?: string; result?: StepResult; started?: boolean },
  ): Promise<StepRow | undefined> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query(
        `UPDATE runbook_steps SET state = $3, detail = $5, result = coalesce($6, result), updated_at = now(),
           started_at = CASE WHEN $7 THEN now() ELSE started_at END,
           finished_at = CASE WHEN $3 IN ('done', 'failed', 'skipped') THEN now() ELSE finished_at END
         WHERE run_id = $1 AND position = $2 AND state = ANY($4) RETURNING *`,
        [
          runId,
          position,
          to,
          from,
          outcome.detail ?? null,
          outcome.result ? JSON.stringify(outcome.result) : null,
          outcome.started === true,
        ],
      );
      if (!rows[0]) return undefined;
      const row = StepRowSchema.parse(rows[0]);
      await appendAudit(client, {
        actor,
        event: `runbook.step.${to}`,
        runId,
        detail: { step: row.name, ...(outcome.detail ? { detail: outcome.detail } : {}) },
      });
      return row;
    });
  }

  /** Running runbooks, for the sweep that gives each its job again if Redis lost it. */
  async running(): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      "SELECT id FROM action_runs WHERE kind = 'runbook' AND state = 'running' LIMIT 500",
    );
    return rows.map((row) => row.id);
  }
}
