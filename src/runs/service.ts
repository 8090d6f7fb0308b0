import { requireAction, riskOf } from '../actions/catalog.js';
import type { ParamValues } from '../actions/params.js';
import { type ActionConfig, kindOf } from '../actions/registry.js';
import type { Checkpoint } from '../auth/authorizer.js';
import { describeError } from '../describe-error.js';
import { ConflictError, type ForbiddenError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { isPostgresUnreachable } from '../outages.js';
import { actionContext } from './action-context.js';
import { authorizeRun } from './authorize-run.js';
import { type PostedCard, showCard } from './cards.js';
import type { RunDeps } from './executor.js';
import { type RequestedRun, type Run, SYSTEM_ACTOR } from './run.js';
import { TargetBusyError } from './store.js';
import { abandonUnseen, cardRefused } from './unseen.js';

export interface RunServiceDeps extends RunDeps {
  enqueue(runId: string): Promise<void>;
  /** How long a plan may wait for the requester's Confirm (DESIGN §4: 5 minutes). */
  planTtlMs?: number;
  /** How long a confirmed high-risk run may wait for a second person's Approve (15 minutes). */
  approvalTtlMs?: number;
}

export interface RunRequest {
  actor: string;
  channel: string;
  service: string;
  action: string;
  params: ParamValues;
}

/** The action lifecycle of DESIGN §4: request → plan → confirm/approve → queue → execute → report. */
export class RunService {
  private readonly planTtlMs: number;
  private readonly approvalTtlMs: number;

  constructor(private readonly deps: RunServiceDeps) {
    this.planTtlMs = deps.planTtlMs ?? 5 * 60_000;
    this.approvalTtlMs = deps.approvalTtlMs ?? 15 * 60_000;
  }

  /** Checks the actor, creates the run, plans it and posts its card; low risk runs go straight to the queue. */
  async request(req: RunRequest): Promise<RequestedRun> {
    const config = await this.admit(req);
    await this.deps.authorizer.requireQuota(req);
    return this.start(req, config, config.risk === 'low');
  }

  /**
   * An action step of a runbook: checked and planned exactly as if its requester had asked for it alone
   * (Confirm or Approve as its risk says), under the id the step chose, so a resumed runbook finds the run
   * its step made. No request quota: the runbook's own request counted.
   */
  async requestStep(req: RunRequest & { id: string; parentRunId: string }): Promise<Run> {
    const config = await this.admit(req);
    return this.start(req, config, config.risk === 'low', { id: req.id, parentRunId: req.parentRunId });
  }

  /**
   * A run opsbot starts itself (degraded mode whose time is up): no person to authorize or confirm it, so
   * it is queued at once and audited as opsbot; its card says so.
   */
  async requestBySystem(req: Omit<RunRequest, 'actor'>): Promise<Run> {
    const config = requireAction(this.deps.config, req.service, req.action);
    return this.start({ ...req, actor: SYSTEM_ACTOR }, config, true);
  }

  /**
   * Creates, plans and shows a run; queues it at once when `immediate` (low risk, and runbooks, whose steps
   * ask for themselves), else asks for Confirm.
   */
  private async start(
    req: RunRequest,
    config: ActionConfig,
    immediate: boolean,
    step?: { id: string; parentRunId: string },
  ): Promise<RequestedRun> {
    const created = await this.create(req, config, step);
    const log = this.deps.log.child({ runId: created.id });
    let run: Run | undefined;
    try {
      const plan = await kindOf(config).plan(config, actionContext(this.deps, created, log));
      run = immediate
        ? await this.deps.store.transition(created.id, 'queued', req.actor, { plan })
        : await this.deps.store.transition(created.id, 'awaiting_confirmation', req.actor, {
            plan,
            expiresAt: new Date(Date.now() + this.planTtlMs),
          });
    } catch (error) {
      log.warn({ err: error }, 'plan failed');
      run = await this.deps.store.transition(created.id, 'failed', SYSTEM_ACTOR, {
        error: `Planning failed: ${describeError(error)}`,
      });
    }
    const current = must(run);
    // The card is queued, and a low-risk run's job with it, before Slack is waited for: a slow or failing
    // Slack delays the card, never the run, and runs are not paced by the channel's one post a second.
    let card: PostedCard;
    try {
      card = await this.deps.cards.post(current);
    } catch (error) {
      await abandonUnseen(
        this.deps.store,
        current,
        `The run card could not be queued: ${describeError(error)}`,
      );
      throw error;
    }
    if (current.state === 'queued') await this.deps.enqueue(current.id);
    try {
      return { ...current, message_ts: (await card.shown()) ?? null };
    } catch (error) {
      // PostgreSQL went away while Slack was waited for: the run and its card are queued all the same, and go
      // ahead once it is back (telling the requester that nothing was done would be untrue).
      if (!isPostgresUnreachable(error)) throw await cardRefused(this.deps.store, current, error);
      return { ...current, message_ts: null, cardLateBecause: 'database' };
    }
  }

  /** Checks that the actor may request this action here (with these args, when known); audits a denial. */
  async admit(req: Omit<RunRequest, 'params'> & { params?: ParamValues }): Promise<ActionConfig> {
    const config = requireAction(this.deps.config, req.service, req.action);
    await this.deps.authorizer.require({ ...req, config }, 'request');
    return config;
  }

  /** Inserts the run; another active run on the same target is a clear conflict, not a second run. */
  private async create(
    req: RunRequest,
    config: ActionConfig,
    step?: { id: string; parentRunId: string },
  ): Promise<Run> {
    try {
      return await this.deps.store.create({
        id: step?.id ?? newId('run'),
        ...(step ? { parentRunId: step.parentRunId } : {}),
        service: req.service,
        action: req.action,
        kind: config.kind,
        risk: riskOf(this.deps.config, req.service, config),
        params: req.params,
        targetKey: kindOf(config).target?.(config, req.params) ?? targetKey(req.params),
        requestedBy: req.actor,
        channelId: req.channel,
      });
    } catch (error) {
      if (!(error instanceof TargetBusyError)) throw error;
      const { holder } = error;
      throw new ConflictError(
        `${req.action} on ${req.service} is already in progress for the same target: ${holder.id}, ` +
          `${holder.state.replace('_', ' ')}, requested by <@${holder.requested_by}>.`,
      );
    }
  }

  /** The requester's Confirm: queues the run, or hands it to a second person when the risk is high. */
  async confirm(actor: string, runId: string): Promise<Run> {
    const run = await this.get(runId);
    if (actor !== run.requested_by) {
      throw await this.refuse(
        run,
        actor,
        'confirm',
        `Only <@${run.requested_by}> can confirm this run; they requested it.`,
      );
    }
    await this.authorize(run, actor, 'confirm');
    const next = run.risk === 'high' ? 'awaiting_approval' : 'queued';
    const approvalWindow =
      next === 'awaiting_approval' ? { expiresAt: new Date(Date.now() + this.approvalTtlMs) } : {};
    const moved = await this.deps.store.transition(
      runId,
      next,
      actor,
      { confirmedBy: actor, ...approvalWindow },
      { from: ['awaiting_confirmation'], unexpired: true },
    );
    if (!moved) throw await this.lostRace(runId);
    await this.show(moved);
    if (moved.state === 'queued') await this.deps.enqueue(runId);
    return moved;
  }

  /** A second person's Approve on a high-risk run: they must hold the action's role and not be the requester. */
  async approve(actor: string, runId: string): Promise<Run> {
    const run = await this.get(runId);
    if (actor === run.requested_by) {
      throw await this.refuse(
        run,
        actor,
        'approve',
        'You requested this run; a second person has to approve it.',
      );
    }
    await this.authorize(run, actor, 'approve');
    const moved = await this.deps.store.transition(
      runId,
      'queued',
      actor,
      { approvedBy: actor },
      { from: ['awaiting_approval'], unexpired: true },
    );
    if (!moved) throw await this.lostRace(runId);
    await this.show(moved);
    await this.deps.enqueue(runId);
    return moved;
  }

  /** Reject by a would-be approver, or Cancel by the requester; either ends the run. */
  async stop(actor: string, runId: string, how: 'cancelled' | 'rejected'): Promise<Run> {
    const run = await this.get(runId);
    if (how === 'cancelled' && actor !== run.requested_by) {
      throw await this.refuse(
        run,
        actor,
        'confirm',
        `Only <@${run.requested_by}> can cancel this run; they requested it.`,
      );
    }
    if (how === 'rejected') await this.authorize(run, actor, 'approve');
    if (how === 'cancelled' && run.state === 'running' && run.kind === 'runbook') {
      // A runbook stops between steps: its engine sees the request at its next look and ends it.
      if (!(await this.deps.store.requestCancel(runId, actor))) throw await this.lostRace(runId);
      await this.deps.cards.note(run, `<@${actor}> cancelled this runbook; it stops before its next step.`);
      return run;
    }
    const from =
      how === 'cancelled'
        ? (['awaiting_confirmation', 'awaiting_approval'] as const)
        : (['awaiting_approval'] as const);
    const moved = await this.deps.store.transition(runId, how, actor, {}, { from: [...from] });
    if (!moved) throw await this.lostRace(runId);
    await this.show(moved);
    return moved;
  }

  /** Ends a run whose plan was not confirmed or approved in time. */
  async expire(runId: string): Promise<void> {
    const run = await this.deps.store.transition(
      runId,
      'expired',
      SYSTEM_ACTOR,
      {},
      {
        from: ['awaiting_confirmation', 'awaiting_approval'],
      },
    );
    if (run) await this.show(run);
  }

  /** Audits and returns the refusal of a press by the wrong person. */
  private refuse(run: Run, actor: string, checkpoint: Checkpoint, reason: string): Promise<ForbiddenError> {
    const request = { actor, channel: run.channel_id, service: run.service, action: run.action };
    return this.deps.authorizer.refuse(request, checkpoint, reason, run.id);
  }

  private authorize(run: Run, actor: string, checkpoint: Checkpoint): Promise<void> {
    return authorizeRun(this.deps.authorizer, this.deps.config, run, actor, checkpoint);
  }

  /** Explains why a transition found the run in another state, expiring it if its time is up. */
  private async lostRace(runId: string): Promise<ConflictError> {
    const run = await this.get(runId);
    const due =
      run.expires_at !== null &&
      run.expires_at <= new Date() &&
      ['awaiting_confirmation', 'awaiting_approval'].includes(run.state);
    if (due) await this.expire(runId);
    // The same sentence whether this press or the sweeper noticed the expiry first.
    if (due || run.state === 'expired') {
      return new ConflictError('This plan has expired; request the action again to see a fresh plan.');
    }
    return new ConflictError(`This run is already ${run.state.replace('_', ' ')}.`);
  }

  private async get(runId: string): Promise<Run> {
    const run = await this.deps.store.get(runId);
    if (!run) throw new NotFoundError(`There is no run ${runId}.`);
    return run;
  }

  private show(run: Run): Promise<void> {
    return showCard(this.deps.cards, this.deps.log, run);
  }
}

/** What a run acts on, for the one-active-run rule: its action's arguments, in a stable order. */
function targetKey(params: ParamValues): string {
  return JSON.stringify(Object.entries(params).sort(([a], [b]) => a.localeCompare(b)));
}

function must(run: Run | undefined): Run {
  if (!run) throw new ConflictError('This run changed while it was being planned.');
  return run;
}
