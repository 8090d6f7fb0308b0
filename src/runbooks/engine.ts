import { findAction } from '../actions/catalog.js';
import type { RunbookAction } from '../actions/runbook.js';
import { describeError } from '../describe-error.js';
import { ForbiddenError } from '../errors.js';
import { authorizeRun } from '../runs/authorize-run.js';
import { type RunCards, replyOnCard, showCard } from '../runs/cards.js';
import { type Run, SYSTEM_ACTOR } from '../runs/run.js';
import { stepRunQueued, withdrawSteps } from './cancel.js';
import type { Step, StepType } from './config.js';
import { describeStep } from './describe.js';
import type { RunbookTimeline, StepView } from './ports.js';
import type { StepDeps, StepInput, StepOutcome, StepRunner } from './step-runner.js';
import { STEP_RUNNERS } from './steps/index.js';
import type { StepRow } from './store.js';
import { fillers } from './template.js';
import { judge } from './when.js';

export interface RunbookEngineDeps extends StepDeps {
  cards: RunCards;
  timeline: RunbookTimeline;
}

/**
 * Drives a runbook's run (DESIGN §11), one look at a time: each look reads the steps from PostgreSQL, runs
 * every step that can go now, and returns when the next look is due (a step waits for a person, a run, a
 * check or the clock), or undefined when the runbook has ended. Any worker may take the next look: a step is
 * claimed by a compare-and-set, so none runs twice, and one found running after a crash is looked at again
 * (its runner knows whether that is safe).
 */
export class RunbookEngine {
  constructor(private readonly deps: RunbookEngineDeps) {}

  /** Makes the steps' rows (once) for a runbook run that has just started running. */
  async begin(run: Run): Promise<void> {
    const config = this.configOf(run);
    if (config) await this.deps.store.begin(run.id, config.steps);
  }

  /** One look at the runbook: runs what can run; returns when to look again, or undefined when it has ended. */
  async look(runId: string): Promise<Date | undefined> {
    for (;;) {
      const run = await this.deps.runStore.get(runId);
      if (run?.state !== 'running') return undefined;
      const config = this.configOf(run);
      if (!config) {
        await this.end(
          run,
          [],
          'failed',
          `${run.action} is no longer a runbook of ${run.service} in ops.yml.`,
        );
        return undefined;
      }
      await this.deps.store.begin(run.id, config.steps);
      const rows = await this.deps.store.steps(run.id);
      // A step's run already queued for or held by a worker cannot be stopped: the runbook ends after it.
      if (run.cancel_requested_by && !(await stepRunQueued(this.deps.runStore, rows))) {
        await this.end(run, rows, 'cancelled', `Cancelled by <@${run.cancel_requested_by}> between steps.`);
        return undefined;
      }
      const index = rows.findIndex((row) => row.state === 'waiting' || row.state === 'running');
      const step = config.steps[index];
      const row = rows[index];
      if (!step || !row) {
        await this.succeed(run, rows);
        return undefined;
      }
      const next = await this.advance(run, config, step, row, rows);
      if (next !== 'again') return next;
    }
  }

  /** Takes one step as far as it goes now: `again` when the runbook can go on at once. */
  private async advance(
    run: Run,
    config: RunbookAction,
    step: Step,
    found: StepRow,
    rows: StepRow[],
  ): Promise<Date | 'again' | undefined> {
    let row = found;
    let fresh = false;
    if (row.state === 'waiting') {
      const verdict = judge(step.when, rows);
      if (!verdict.run) {
        await this.deps.store.finish(run.id, row.position, 'skipped', SYSTEM_ACTOR, { detail: verdict.why });
        await this.show(run);
        return 'again';
      }
      const claimed = await this.deps.store.claim(run.id, row.position, SYSTEM_ACTOR);
      if (!claimed) return 'again';
      row = claimed;
      fresh = true;
      await this.show(run);
    }
    const outcome = await this.runStep(run, step, row, fresh, rows);
    if (outcome.kind === 'blocked') {
      await this.deps.store.progress(run.id, row.position, {
        detail: outcome.detail,
        wakeAt: outcome.wakeAt,
      });
      if (outcome.detail !== row.detail) await this.show(run);
      return outcome.wakeAt;
    }
    if (outcome.kind === 'done') {
      const done = await this.deps.store.finish(run.id, row.position, 'done', SYSTEM_ACTOR, {
        detail: outcome.line,
        result: outcome.result ?? {},
      });
      if (done) await this.tell(run, step, `:white_check_mark: *${step.name}*: ${outcome.line}`);
      await this.show(run);
      return 'again';
    }
    return this.failed(run, config, step, row, outcome);
  }

  private async runStep(
    run: Run,
    step: Step,
    row: StepRow,
    fresh: boolean,
    rows: StepRow[],
  ): Promise<StepOutcome> {
    const input: StepInput<StepType> = {
      step,
      row,
      fresh,
      run,
      rows,
      fill: fillers(run.params, rows).fill,
      now: new Date(),
    };
    try {
      // The person who started the runbook must still hold its role as each step starts (action steps are
      // also checked as runs of their own).
      if (fresh) await this.authorize(run);
      return await (STEP_RUNNERS[step.type] as StepRunner<StepType>)(input, this.deps);
    } catch (error) {
      this.deps.log.warn({ err: error, runId: run.id, step: step.name }, 'runbook step failed');
      return { kind: 'failed', reason: describeError(error), stop: error instanceof ForbiddenError };
    }
  }

  /** A failed step: the runbook stops, goes on, or jumps forward, as the step's on_failure says. */
  private async failed(
    run: Run,
    config: RunbookAction,
    step: Step,
    row: StepRow,
    outcome: Extract<StepOutcome, { kind: 'failed' }>,
  ): Promise<'again' | undefined> {
    const failed = await this.deps.store.finish(run.id, row.position, 'failed', SYSTEM_ACTOR, {
      detail: outcome.reason,
      ...(outcome.result ? { result: outcome.result } : {}),
    });
    if (failed) await this.tell(run, step, `:x: *${step.name}* failed: ${outcome.reason}`);
    const then = outcome.stop ? 'stop' : step.on_failure;
    if (then === 'stop') {
      await this.end(
        run,
        await this.deps.store.steps(run.id),
        'failed',
        `Stopped at step ${step.name}: ${outcome.reason}`,
      );
      return undefined;
    }
    if (then !== 'continue') {
      const target = config.steps.findIndex((each) => each.name === then);
      for (let i = row.position + 1; i < target; i++) {
        await this.deps.store.finish(run.id, i, 'skipped', SYSTEM_ACTOR, {
          detail: `skipped: ${step.name} failed and goes on at ${then}`,
        });
      }
    }
    await this.show(run);
    return 'again';
  }

  private async succeed(run: Run, rows: StepRow[]): Promise<void> {
    const count = (state: string) => rows.filter((row) => row.state === state).length;
    const failed = count('failed');
    const summary = `${count('done')} steps done, ${count('skipped')} skipped${failed ? `, ${failed} failed and passed over (on_failure)` : ''}.`;
    const ended = await this.deps.runStore.transition(
      run.id,
      'succeeded',
      SYSTEM_ACTOR,
      { result: { summary } },
      {
        from: ['running'],
      },
    );
    if (ended) await this.shown(ended, rows, true);
  }

  private async end(run: Run, found: StepRow[], state: 'failed' | 'cancelled', error: string): Promise<void> {
    let rows = found;
    if (state === 'cancelled') {
      await withdrawSteps(this.deps, run, this.configOf(run), rows);
      rows = await this.deps.store.steps(run.id);
    }
    const ended = await this.deps.runStore.transition(
      run.id,
      state,
      SYSTEM_ACTOR,
      { error },
      { from: ['running'] },
    );
    if (ended) await this.shown(ended, rows, true);
  }

  /** The card edited with every step's state. */
  private async show(run: Run): Promise<void> {
    await this.shown(run, await this.deps.store.steps(run.id), false);
  }

  private async shown(run: Run, rows: StepRow[], final: boolean): Promise<void> {
    const config = this.configOf(run);
    // A question as it is (or will be) asked; a value not known yet stays as its placeholder.
    const { known } = fillers(run.params, rows);
    const views: StepView[] = rows.map((row) => {
      const step = config?.steps[row.position];
      return {
        name: row.name,
        does: step ? describeStep(step, known) : row.type,
        state: row.state,
        detail: row.detail,
      };
    });
    await showCard(this.deps.cards, this.deps.log, run, undefined, views);
    if (final) await replyOnCard(this.deps.cards, this.deps.log, run);
  }

  /** A step's result in the card's thread and, in an incident channel, on the timeline; once each. */
  private async tell(run: Run, step: Step, text: string): Promise<void> {
    const source = `runbook:${run.id}:${step.name}`;
    try {
      await this.deps.posts.note(run, source, text);
      await this.deps.timeline.record(
        run,
        `${run.action} ${run.service} · ${text.replace(/^:\w+: /, '')}`,
        source,
      );
    } catch (error) {
      this.deps.log.warn({ err: error, runId: run.id, step: step.name }, 'could not tell a runbook step');
    }
  }

  private async authorize(run: Run): Promise<void> {
    if (run.requested_by === SYSTEM_ACTOR) return;
    await authorizeRun(this.deps.authorizer, this.deps.config, run, run.requested_by, 'execute');
  }

  private configOf(run: Run): RunbookAction | undefined {
    const config = findAction(this.deps.config, run.service, run.action);
    return config?.kind === 'runbook' ? config : undefined;
  }
}
