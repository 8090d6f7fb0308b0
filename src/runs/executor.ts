import { findAction, requireAction } from '../actions/catalog.js';
import { kindOf } from '../actions/registry.js';
import type { Authorizer } from '../auth/authorizer.js';
import type { OpsConfig } from '../config/ops-config.js';
import { retryWhilePostgresAway } from '../db/while-away.js';
import { describeError } from '../describe-error.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import { CommandExitError } from '../exec/command-exit.js';
import type { Logger } from '../log.js';
import { actionContext, type ContextSources } from './action-context.js';
import { authorizeRun } from './authorize-run.js';
import { type RunCards, replyOnCard, showCard } from './cards.js';
import { type Run, SYSTEM_ACTOR } from './run.js';
import type { RunChanges, RunStore } from './store.js';

/** At most one progress edit of a card per this many ms (Slack allows about one message edit a second). */
const PROGRESS_EVERY_MS = 2_000;

/** How the error of a run refused at its worker begins (the requester lost the role, the action is gone). */
export const REFUSED_AT_EXECUTION = 'Stopped before running';

/** How often the worker executing a run renews the run's heartbeat. */
export const HEARTBEAT_EVERY_MS = 5_000;
/** A running run whose heartbeat is older than this (three beats missed) has no live worker. */
export const HEARTBEAT_STALE_MS = 15_000;
/** How often a redelivered job looks again at a heartbeat still fresh. */
const STALE_POLL_MS = 1_000;

/** How long a worker keeps trying to record how a run ended while PostgreSQL cannot be reached. */
const RECORD_END_FOR_MS = 60_000;

const INTERRUPTED =
  'The worker running this action stopped mid-way; check the target by hand before requesting it again.';

/** What both halves of the lifecycle need: the config, the runs, the targets, the cards and the policy. */
export interface RunDeps extends ContextSources {
  config: OpsConfig;
  store: RunStore;
  cards: RunCards;
  authorizer: Authorizer;
  log: Logger;
}

/** Where a runbook's run goes once it is running: the runbook engine, on its own queue. */
export interface RunbookStarter {
  start(run: Run): Promise<void>;
}

/** The worker's part of the lifecycle: run a queued run once, as its requester, and report. */
export class RunExecutor {
  constructor(
    private readonly deps: RunDeps,
    private readonly runbooks?: RunbookStarter,
  ) {}

  /** The runs this process is executing now, for shutdown's log. */
  private readonly executing = new Set<string>();

  /** The ids of the runs this process is executing now. */
  inFlight(): string[] {
    return [...this.executing];
  }

  /** Runs once, re-checking authorization first; a cut-off non-idempotent run becomes interrupted. */
  async execute(runId: string): Promise<void> {
    const queued = await this.deps.store.get(runId);
    if (queued?.state === 'queued') {
      // Checked before the run is marked running, so `running` in the audit log always means permitted.
      const refusal = await this.refusal(queued);
      if (refusal) {
        await this.finish(runId, 'failed', { error: `${REFUSED_AT_EXECUTION}: ${refusal}` }, 'queued');
        return;
      }
    }
    let run = await this.deps.store.transition(runId, 'running', SYSTEM_ACTOR, {}, { from: ['queued'] });
    let redelivered = false;
    if (!run) {
      const current = await this.deps.store.get(runId);
      if (current?.state !== 'running') return;
      // BullMQ redelivers a job whose lock lapsed; only a heartbeat that stopped says its worker is gone (a
      // runbook's run has none: its engine's own queue keeps it going).
      if (current.kind !== 'runbook' && !(await this.abandoned(runId))) return;
      const config = findAction(this.deps.config, current.service, current.action);
      if (!config || !kindOf(config).idempotent(config)) {
        await this.finish(runId, 'interrupted', { error: INTERRUPTED });
        return;
      }
      run = current;
      redelivered = true;
    }
    if (run.kind === 'runbook' && this.runbooks) {
      // A runbook's steps are runs, waits and questions of their own: the engine drives it and ends it.
      await this.runbooks.start(run);
      return;
    }
    this.executing.add(runId);
    const beats = this.keepAlive(runId);
    try {
      await this.perform(run, redelivered);
    } finally {
      clearInterval(beats);
      this.executing.delete(runId);
    }
  }

  /** Executes a running run's action and records how it ended. */
  private async perform(run: Run, redelivered: boolean): Promise<void> {
    const runId = run.id;
    const log = this.deps.log.child({ runId });
    await showCard(this.deps.cards, this.deps.log, run);
    const progress = this.progressReporter(run);
    try {
      const config = requireAction(this.deps.config, run.service, run.action);
      if (redelivered) await this.authorize(run);
      const context = actionContext(this.deps, run, log, {
        progress: progress.report,
        cards: this.deps.cards,
      });
      const { exitCode, ...result } = await kindOf(config).execute(config, context);
      await progress.settled();
      await this.finish(runId, 'succeeded', { result, ...(exitCode !== undefined ? { exitCode } : {}) });
    } catch (error) {
      await progress.settled();
      log.warn({ err: error }, 'run failed');
      const reason =
        error instanceof ForbiddenError ? `${REFUSED_AT_EXECUTION}: ${error.message}` : describeError(error);
      // A command's exit code is kept for a runbook's `when: { step, exit_code }`.
      const exitCode = error instanceof CommandExitError ? { exitCode: error.exitCode } : {};
      await this.finish(runId, 'failed', { error: reason, ...exitCode });
    }
  }

  /** Renews the run's heartbeat every few seconds; a failed renewal is logged once until one succeeds. */
  private keepAlive(runId: string): NodeJS.Timeout {
    let failing = false;
    const beat = () =>
      this.deps.store.heartbeat(runId).then(
        () => {
          failing = false;
        },
        (error: unknown) => {
          if (!failing) this.deps.log.warn({ err: error, runId }, 'run heartbeat failed');
          failing = true;
        },
      );
    void beat();
    return setInterval(beat, HEARTBEAT_EVERY_MS);
  }

  /**
   * Waits while another worker still renews the run's heartbeat (its job was redelivered while it works on):
   * true once the heartbeat has gone stale, false once the run has ended there.
   */
  private async abandoned(runId: string): Promise<boolean> {
    for (;;) {
      const stale = await this.deps.store.heartbeatStale(runId, HEARTBEAT_STALE_MS);
      if (stale !== false) return stale === true;
      await new Promise((resolve) => setTimeout(resolve, STALE_POLL_MS));
    }
  }

  private async finish(
    runId: string,
    state: 'succeeded' | 'failed' | 'interrupted',
    changes: RunChanges,
    from: 'running' | 'queued' = 'running',
  ): Promise<void> {
    // The run has done what it did: a PostgreSQL restart must not leave it to be called interrupted.
    const run = await retryWhilePostgresAway(
      () => this.deps.store.transition(runId, state, SYSTEM_ACTOR, changes, { from: [from] }),
      RECORD_END_FOR_MS,
    );
    if (!run) return;
    await showCard(this.deps.cards, this.deps.log, run);
    await replyOnCard(this.deps.cards, this.deps.log, run);
  }

  /** Throttled progress edits of the card, in order, all landed before the final state is shown. */
  private progressReporter(run: Run): { report(message: string): void; settled(): Promise<void> } {
    let last = 0;
    let chain = Promise.resolve();
    return {
      report: (message) => {
        const now = Date.now();
        if (now - last < PROGRESS_EVERY_MS) return;
        last = now;
        chain = chain.then(() => showCard(this.deps.cards, this.deps.log, run, message));
      },
      settled: () => chain,
    };
  }

  private authorize(run: Run): Promise<void> {
    // Runs opsbot started itself have no person behind them; Slack user IDs can never be `opsbot`.
    if (run.requested_by === SYSTEM_ACTOR) return Promise.resolve();
    return authorizeRun(this.deps.authorizer, this.deps.config, run, run.requested_by, 'execute');
  }

  /** Why the run must not run now (the requester lost the role, the action is gone), if so. */
  private async refusal(run: Run): Promise<string | undefined> {
    try {
      await this.authorize(run);
      return undefined;
    } catch (error) {
      if (error instanceof ForbiddenError || error instanceof NotFoundError) return error.message;
      throw error;
    }
  }
}
