import { z } from 'zod';
import { Duration, formatDuration } from '../config/duration.js';
import { ConflictError, UnavailableError, UserError } from '../errors.js';
import { CommandExitError } from '../exec/command-exit.js';
import { LAST_LINES, withLastLines } from '../exec/last-lines.js';
import { readDeploymentJson } from '../kubernetes/deployments.js';
import {
  createJob,
  deleteJob,
  JOB_TTL_SECONDS,
  type JobContainer,
  jobBody,
  jobContainer,
  jobName,
  jobSource,
} from '../kubernetes/job.js';
import { followJob, type JobEnd } from '../kubernetes/job-follow.js';
import type { ResultTable } from '../result-table.js';
import type { KubernetesTarget } from '../targets/kubernetes.js';
import { argvText, fillArgv, redactedArgvText } from './argv.js';
import { commandProblems, k8sCommandFields } from './k8s-fields.js';
import type { ActionContext, ActionKind } from './types.js';

/** The longest a Job may be given (activeDeadlineSeconds); longer work is not a one-off command. */
const MAX_TIMEOUT_MS = 24 * 3_600_000;

/** An ops.yml entry of kind `k8s.job`; without a summary, it is said what it runs from where. */
export const K8sJobSchema = z
  .strictObject({
    kind: z.literal('k8s.job'),
    ...k8sCommandFields,
    /** Killed by Kubernetes after this long (the Job's activeDeadlineSeconds). */
    timeout: Duration.prefault('30m').refine((ms) => ms >= 1000 && ms <= MAX_TIMEOUT_MS, {
      error: 'must be from 1s to 24h',
    }),
  })
  .transform((config) => ({
    ...config,
    summary:
      config.summary ?? `Run ${argvText(config.command)} as a Job from ${config.deployment}`.slice(0, 150),
  }));

export type K8sJobAction = z.infer<typeof K8sJobSchema>;

/** A one-off Job from a deployment's pod template, for commands too long or heavy for an exec session. */
export const k8sJobKind: ActionKind<K8sJobAction> = {
  kind: 'k8s.job',
  configSchema: K8sJobSchema,
  help: {
    line: "Runs a command (an argv, never a shell) as a one-off Job made from a deployment's pod template, streams its log to the run's thread and follows it to completion.",
    example: [
      'metadata-backup:  # /ops metadata-backup <service>',
      '  kind: k8s.job',
      '  deployment: worker',
      '  command: ["node", "scripts/backup.js"]',
      '  timeout: 30m',
    ].join('\n'),
  },
  idempotent: (config) => config.idempotent,
  // One Job at a time from a deployment through this action, whatever its params.
  target: (config) => config.deployment,

  check: commandProblems,

  async plan(config, ctx) {
    const target = ctx.kubernetes();
    const { container } = await prepare(config, target);
    const command = redactedArgvText(fillArgv(config.command, ctx.params), ctx.redact);
    const name = jobName(config.deployment, ctx.runId);
    return {
      summary:
        `Run \`${command}\` as Job ${name} (named <deployment>-<run id>) from ${config.deployment}'s pod template ` +
        `in ${target.namespace} (container ${container.name}, image ${container.image}); Kubernetes kills it after ` +
        `${formatDuration(config.timeout)} and removes it ${formatDuration(JOB_TTL_SECONDS * 1000)} after it ends.`,
      table: jobTable(name, config, container, command, 'not created yet'),
    };
  },

  async execute(config, ctx) {
    const target = ctx.kubernetes();
    const { source, container } = await prepare(config, target);
    const argv = fillArgv(config.command, ctx.params);
    const command = redactedArgvText(argv, ctx.redact);
    const name = jobName(config.deployment, ctx.runId);
    const body = jobBody(source, {
      name,
      runId: ctx.runId,
      service: ctx.service,
      container: container.name,
      argv,
      deadlineSeconds: Math.ceil(config.timeout / 1000),
    });
    const startedAt = Date.now();
    const made = await createJob(target, body, name);
    if (!made.created) refuseExisting(config, ctx, target, name, made.runId);
    ctx.progress(
      made.created
        ? `Job ${name} created; waiting for its pod…`
        : `Following Job ${name}, which an earlier attempt created…`,
    );
    const output = ctx.output(`${command} in Job ${name}`);
    let lines = 0;
    let end: JobEnd;
    try {
      end = await followJob(target, {
        name,
        container: container.name,
        // Kubernetes kills the Job at its deadline; opsbot waits a little longer to hear it say so.
        deadlineAt: startedAt + config.timeout + Math.min(30_000, config.timeout / 10),
        lines: (fresh) => {
          lines += fresh.length;
          for (const line of fresh) output.write(`${line}\n`);
        },
        progress: ctx.progress,
      });
    } catch (error) {
      await output.close('no longer followed');
      throw error;
    }
    const took = formatDuration(Math.max(1, Math.round((Date.now() - startedAt) / 1000)) * 1000);
    if (end.ended === 'timed-out') {
      // Closed first, so that a failed delete still ends the output (and removes its file).
      await output.close(`stopped after ${formatDuration(config.timeout)}`);
      await deleteJob(target, name).catch((error: unknown) => {
        const reason = error instanceof Error ? error.message.replace(/\.$/, '') : String(error);
        throw new UnavailableError(
          `Job ${name} did not finish within ${formatDuration(config.timeout)}, and opsbot could not delete it (${reason}); see kubectl get job ${name} -n ${target.namespace}.`,
        );
      });
      throw new UnavailableError(
        `Job ${name} did not finish within ${formatDuration(config.timeout)}${notStarted(end)}, so opsbot deleted it and its pod.`,
      );
    }
    if (end.ended === 'failed') {
      await output.close(end.exitCode === undefined ? end.reason : `exit code ${end.exitCode}`);
      const message = withLastLines(failureSentence(name, end, config.timeout), output.lastLines(LAST_LINES));
      throw end.exitCode === undefined ? new UserError(message) : new CommandExitError(message, end.exitCode);
    }
    await output.close('exit code 0');
    return {
      summary: `Job ${name} completed in ${took}: ${lines} ${lines === 1 ? 'line' : 'lines'} of output, shown in the thread.`,
      table: jobTable(
        name,
        config,
        container,
        command,
        `completed in ${took}${end.pod ? ` (pod ${end.pod})` : ''}`,
      ),
      exitCode: 0,
    };
  },
};

/** The deployment re-read (never the plan's), and the container that runs the command. */
async function prepare(config: K8sJobAction, target: KubernetesTarget) {
  const { json } = await readDeploymentJson(target, config.deployment);
  const source = jobSource(json, config.deployment, target.context);
  const container = jobContainer(source, config.container);
  if (!container) {
    const all = source.template.spec.containers.map((c) => c.name).join(', ');
    throw new UserError(
      `${config.deployment}'s pod template has no container ${config.container} (it has ${all}).`,
    );
  }
  return { source, container };
}

/**
 * A Job of this run's name already exists: an earlier attempt of the run created it. Followed again only
 * when the action is idempotent; a Job of that name made for another run is never touched.
 */
function refuseExisting(
  config: K8sJobAction,
  ctx: ActionContext,
  target: KubernetesTarget,
  name: string,
  runId: string | undefined,
): void {
  const see = `kubectl get job ${name} -n ${target.namespace}`;
  if (runId !== ctx.runId) {
    throw new ConflictError(`A Job called ${name} already exists and was not made for this run; see ${see}.`);
  }
  if (!config.idempotent) {
    throw new ConflictError(
      `Job ${name} already exists from an earlier attempt of this run, and this action is not idempotent, so opsbot neither starts nor follows it again; see ${see}.`,
    );
  }
}

/** One sentence on how the Job failed. */
function failureSentence(name: string, end: Extract<JobEnd, { ended: 'failed' }>, timeoutMs: number): string {
  if (end.reason === 'DeadlineExceeded') {
    return `Job ${name} was killed by Kubernetes at its ${formatDuration(timeoutMs)} deadline${notStarted(end)}`;
  }
  if (end.exitCode !== undefined) return `Job ${name} failed: its command exited with code ${end.exitCode}`;
  return `Job ${name} failed (${end.reason}${end.message ? `: ${end.message.replace(/\.$/, '')}` : ''})${notStarted(end)}`;
}

/** `, its command never having started (last seen: pod … ImagePullBackOff)`, when it had not. */
function notStarted(end: { neverStarted?: string }): string {
  return end.neverStarted ? `, its command never having started (last seen: ${end.neverStarted})` : '';
}

function jobTable(
  name: string,
  config: K8sJobAction,
  container: JobContainer,
  command: string,
  state: string,
): ResultTable {
  return {
    columns: ['job', 'deployment', 'container', 'image', 'command', 'deadline', 'state'],
    rows: [
      [
        name,
        config.deployment,
        container.name,
        container.image,
        command,
        formatDuration(config.timeout),
        state,
      ],
    ],
    total: 1,
  };
}
