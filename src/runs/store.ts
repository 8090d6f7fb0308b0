import type { Pool } from 'pg';
import type { ParamValues } from '../actions/params.js';
import type { ActionPlan, ActionResult, Risk } from '../actions/types.js';
import { type AuditEntry, appendAudit } from '../audit/audit-log.js';
import { withTransaction } from '../db/transaction.js';
import { type Run, RunSchema } from './run.js';
import { FINAL_STATES, type RunState, sourcesOf } from './states.js';

export interface NewRun {
  id: string;
  service: string;
  action: string;
  kind: string;
  risk: Risk;
  params: ParamValues;
  /** What the run acts on; at most one run per action and target is active at a time. */
  targetKey: string;
  requestedBy: string;
  channelId: string;
  /** An action step's run: its runbook's run. */
  parentRunId?: string;
}

/** The active run that holds an action's target. */
export class TargetBusyError extends Error {
  constructor(readonly holder: Run) {
    super(`run ${holder.id} holds the target`);
  }
}

/** Column values a transition may set along with the state. */
export interface RunChanges {
  plan?: ActionPlan;
  result?: ActionResult;
  error?: string;
  confirmedBy?: string;
  approvedBy?: string;
  expiresAt?: Date;
  exitCode?: number;
}

const CHANGE_COLUMNS: Record<keyof RunChanges, string> = {
  plan: 'plan',
  result: 'result',
  error: 'error',
  confirmedBy: 'confirmed_by',
  approvedBy: 'approved_by',
  expiresAt: 'expires_at',
  exitCode: 'exit_code',
};

/** action_runs: every state change is a compare-and-set with its audit entry in the same transaction. */
export class RunStore {
  constructor(private readonly pool: Pool) {}

  /** Inserts a run in `planned` and audits the request; TargetBusyError when another run holds the target. */
  async create(run: NewRun): Promise<Run> {
    try {
      return await this.insert(run);
    } catch (error) {
      if ((error as { constraint?: string }).constraint !== 'action_runs_one_active_per_target') throw error;
      const { rows } = await this.pool.query(
        `SELECT * FROM action_runs WHERE service = $1 AND action = $2 AND target_key = $3
           AND state NOT IN ('succeeded', 'failed', 'interrupted', 'rejected', 'expired', 'cancelled')`,
        [run.service, run.action, run.targetKey],
      );
      if (!rows[0]) throw error;
      throw new TargetBusyError(RunSchema.parse(rows[0]));
    }
  }

  private async insert(run: NewRun): Promise<Run> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query(
        `INSERT INTO action_runs (id, service, action, kind, risk, params, target_key, state, requested_by, channel_id, parent_run_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'planned', $8, $9, $10) RETURNING *`,
        [
          run.id,
          run.service,
          run.action,
          run.kind,
          run.risk,
          JSON.stringify(run.params),
          run.targetKey,
          run.requestedBy,
          run.channelId,
          run.parentRunId ?? null,
        ],
      );
      await appendAudit(client, {
        actor: run.requestedBy,
        event: 'run.requested',
        runId: run.id,
        service: run.service,
        action: run.action,
        detail: {
          params: run.params,
          risk: run.risk,
          channel: run.channelId,
          ...(run.parentRunId ? { runbook: run.parentRunId } : {}),
        },
      });
      return RunSchema.parse(rows[0]);
    });
  }

  async get(id: string): Promise<Run | undefined> {
    const { rows } = await this.pool.query('SELECT * FROM action_runs WHERE id = $1', [id]);
    return rows[0] ? RunSchema.parse(rows[0]) : undefined;
  }

  /**
   * Moves a run to `to` if it is still in a state that may go there (and, with `unexpired`, its plan
   * has not expired). Returns the updated run, or undefined when another request got there first.
   */
  async transition(
    id: string,
    to: RunState,
    actor: string,
    changes: RunChanges = {},
    options: { from?: RunState[]; unexpired?: boolean; detail?: Record<string, unknown> } = {},
  ): Promise<Run | undefined> {
    const values: unknown[] = [id, to, options.from ?? sourcesOf(to)];
    const sets = ['state = $2', 'updated_at = now()'];
    for (const [key, column] of Object.entries(CHANGE_COLUMNS) as [keyof RunChanges, string][]) {
      const value = changes[key];
      if (value === undefined) continue;
      values.push(typeof value === 'object' && !(value instanceof Date) ? JSON.stringify(value) : value);
      sets.push(`${column} = $${values.length}`);
    }
    if (to === 'running') sets.push('started_at = now()');
    if (FINAL_STATES.includes(to)) sets.push('finished_at = now()');
    const expiry = options.unexpired ? ' AND (expires_at IS NULL OR expires_at > now())' : '';
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query(
        `UPDATE action_runs SET ${sets.join(', ')} WHERE id = $1 AND state = ANY($3)${expiry} RETURNING *`,
        values,
      );
      if (!rows[0]) return undefined;
      const run = RunSchema.parse(rows[0]);
      const audit: AuditEntry = {
        actor,
        event: `run.${to}`,
        runId: id,
        service: run.service,
        action: run.action,
        detail: { ...options.detail, ...(changes.error ? { error: changes.error } : {}) },
      };
      await appendAudit(client, audit);
      return run;
    });
  }

  /** Asks a running runbook to stop between steps; false when it is not running. */
  async requestCancel(id: string, actor: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      "UPDATE action_runs SET cancel_requested_by = $2 WHERE id = $1 AND state = 'running' AND kind = 'runbook' AND cancel_requested_by IS NULL",
      [id, actor],
    );
    return rowCount === 1;
  }

  /**
   * Runs left `queued` for longer than `olderThanMs`: their job may never have reached Redis. `carded` says
   * whether their card was queued (RunService.start queues it before the job, so one without was cut off by
   * its database mid-request, and its requester was told nothing was done).
   */
  async staleQueued(olderThanMs: number): Promise<{ id: string; carded: boolean }[]> {
    const { rows } = await this.pool.query<{ id: string; carded: boolean }>(
      `SELECT r.id, EXISTS (SELECT 1 FROM slack_outbox o WHERE o.channel = r.channel_id AND o.key = 'run:' || r.id)
         AS carded
       FROM action_runs r WHERE r.state = 'queued' AND r.updated_at < now() - $1 * interval '1 millisecond'
       LIMIT 500`,
      [olderThanMs],
    );
    return rows;
  }

  /** Renews a running run's heartbeat (DESIGN §4: a dead worker's run is told from a long one by it). */
  async heartbeat(id: string): Promise<void> {
    await this.pool.query("UPDATE action_runs SET heartbeat_at = now() WHERE id = $1 AND state = 'running'", [
      id,
    ]);
  }

  /**
   * Whether a running run's worker has stopped renewing its heartbeat (its start stands in before the first
   * beat) for longer than `staleAfterMs`; undefined when the run is not running.
   */
  async heartbeatStale(id: string, staleAfterMs: number): Promise<boolean | undefined> {
    const { rows } = await this.pool.query<{ stale: boolean }>(
      `SELECT coalesce(heartbeat_at, started_at, '-infinity') < now() - $2 * interval '1 millisecond' AS stale
         FROM action_runs WHERE id = $1 AND state = 'running'`,
      [id, staleAfterMs],
    );
    return rows[0]?.stale;
  }

  /** Running runs (runbooks aside: their own queue keeps them) whose heartbeat is older than `olderThanMs`. */
  async staleRunning(olderThanMs: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM action_runs WHERE state = 'running' AND kind <> 'runbook'
         AND coalesce(heartbeat_at, started_at, '-infinity') < now() - $1 * interval '1 millisecond' LIMIT 500`,
      [olderThanMs],
    );
    return rows.map((row) => row.id);
  }

  /** Runs waiting for a human whose plan has expired. */
  async dueToExpire(): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      "SELECT id FROM action_runs WHERE state IN ('awaiting_confirmation', 'awaiting_approval') AND expires_at <= now() LIMIT 500",
    );
    return rows.map((row) => row.id);
  }

  /** Counts of runs by state, for /metrics. */
  async countByState(): Promise<Record<string, number>> {
    const { rows } = await this.pool.query<{ state: string; n: number }>(
      'SELECT state, count(*)::int AS n FROM action_runs GROUP BY state',
    );
    return Object.fromEntries(rows.map((row) => [row.state, row.n]));
  }

  /** Counts of runs by state and action kind, for /metrics. */
  async countByStateAndKind(): Promise<{ state: string; kind: string; count: number }[]> {
    const { rows } = await this.pool.query<{ state: string; kind: string; count: number }>(
      'SELECT state, kind, count(*)::int AS count FROM action_runs GROUP BY state, kind',
    );
    return rows;
  }

  /** Records a denial: of a request (no run exists), or of a press or execution of an existing run. */
  async auditDenial(entry: Omit<AuditEntry, 'event'>): Promise<void> {
    await withTransaction(this.pool, (client) => appendAudit(client, { ...entry, event: 'request.denied' }));
  }
}
