import { z } from 'zod';
import { Duration, formatDuration } from '../config/duration.js';
import { UnavailableError } from '../errors.js';
import { CommandExitError } from '../exec/command-exit.js';
import { LAST_LINES, withLastLines } from '../exec/last-lines.js';
import { type ExecOutcome, execInPod } from '../kubernetes/exec.js';
import { type ChosenPod, readyPod } from '../kubernetes/ready-pod.js';
import type { ResultTable } from '../result-table.js';
import { argvText, fillArgv, redactedArgvText } from './argv.js';
import { commandProblems, k8sCommandFields } from './k8s-fields.js';
import type { ActionKind } from './types.js';

/** An ops.yml entry of kind `k8s.exec`; without a summary, it is said what it runs where. */
export const K8sExecSchema = z
  .strictObject({
    kind: z.literal('k8s.exec'),
    ...k8sCommandFields,
    timeout: Duration.prefault('5m'),
  })
  .transform((config) => ({
    ...config,
    summary: config.summary ?? `Run ${argvText(config.command)} in ${config.deployment}`.slice(0, 150),
  }));

export type K8sExecAction = z.infer<typeof K8sExecSchema>;

/** kubectl exec without the shell: an argv in a ready pod of a deployment, its output streamed to the run. */
export const k8sExecKind: ActionKind<K8sExecAction> = {
  kind: 'k8s.exec',
  configSchema: K8sExecSchema,
  help: {
    line: "Runs a command (an argv, never a shell) in a ready pod of one of the service's deployments and streams its output to the run's thread.",
    example: [
      'clear-cache:  # /ops clear-cache <service> sessions',
      '  kind: k8s.exec',
      '  deployment: worker',
      "  container: worker  # optional: the pod's first container",
      '  command: ["node", "scripts/clear-cache.js", "{cache}"]  # argv: {cache} is one element, whatever it holds',
      '  params: { cache: { type: string, enum: [sessions, pages] } }',
      '  timeout: 2m',
    ].join('\n'),
  },
  idempotent: (config) => config.idempotent,
  // One command at a time in a deployment through this action, whatever its params.
  target: (config) => config.deployment,

  check: commandProblems,

  async plan(config, ctx) {
    const target = ctx.kubernetes();
    const chosen = await readyPod(target, config.deployment, config.container);
    const command = redactedArgvText(fillArgv(config.command, ctx.params), ctx.redact);
    return {
      summary: `Run \`${command}\` in pod ${chosen.pod} (container ${chosen.container}, image ${chosen.image}) of ${config.deployment} in ${target.namespace}; it is stopped after ${formatDuration(config.timeout)}.`,
      table: execTable(chosen, command, 'not run yet'),
    };
  },

  async execute(config, ctx) {
    const target = ctx.kubernetes();
    const argv = fillArgv(config.command, ctx.params);
    const command = redactedArgvText(argv, ctx.redact);
    const chosen = await readyPod(target, config.deployment, config.container);
    ctx.progress(`Running \`${command}\` in ${chosen.pod}…`);
    const output = ctx.output(`${command} in ${chosen.pod}`);
    const lines = lineCounter();
    let outcome: ExecOutcome;
    try {
      outcome = await execInPod(target, {
        pod: chosen.pod,
        container: chosen.container,
        argv,
        timeoutMs: config.timeout,
        output: (chunk) => {
          lines.count(chunk);
          output.write(chunk);
        },
      });
    } catch (error) {
      await output.close('did not start');
      throw error;
    }
    const last = output.lastLines(LAST_LINES);
    await output.close(outcomeText(outcome, config.timeout));
    const where = `in ${chosen.pod} (container ${chosen.container})`;
    if (outcome.ended === 'timed-out') {
      throw new UnavailableError(
        `\`${command}\` did not finish within ${formatDuration(config.timeout)} and was stopped: opsbot closed its exec session ${where}.`,
      );
    }
    if (outcome.ended === 'failed') {
      throw new UnavailableError(
        `\`${command}\` ended without an exit code ${where}: ${ctx.redact(outcome.message)}.`,
      );
    }
    if (outcome.code !== 0) {
      // No coded class fits: neither the requester's input nor a dependency failed, the command did.
      throw new CommandExitError(
        withLastLines(`\`${command}\` exited with code ${outcome.code} ${where}`, last),
        outcome.code,
      );
    }
    const total = lines.total();
    return {
      summary: `\`${command}\` exited with code 0 ${where}: ${total} ${total === 1 ? 'line' : 'lines'} of output, shown in the thread.`,
      table: execTable(chosen, command, 'exit code 0'),
      exitCode: 0,
    };
  },
};

/** The plan's and the result's one row: where the command runs, what it is, and how it went. */
function execTable(chosen: ChosenPod, command: string, outcome: string): ResultTable {
  return {
    columns: ['deployment', 'pod', 'container', 'image', 'command', 'outcome'],
    rows: [[chosen.deployment, chosen.pod, chosen.container, chosen.image, command, outcome]],
    total: 1,
  };
}

/** How the output message ends: `exit code 0`, `stopped after 2m`, `failed`. */
function outcomeText(outcome: ExecOutcome, timeoutMs: number): string {
  if (outcome.ended === 'exited') return `exit code ${outcome.code}`;
  if (outcome.ended === 'timed-out') return `stopped after ${formatDuration(timeoutMs)}`;
  return 'failed';
}

/** Lines in a stream of chunks: its newlines, and one more when it does not end with one. */
function lineCounter(): { count(chunk: Buffer): void; total(): number } {
  let newlines = 0;
  let open = false;
  return {
    count(chunk) {
      if (chunk.length === 0) return;
      for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) newlines++;
      open = chunk[chunk.length - 1] !== 0x0a;
    },
    total: () => newlines + (open ? 1 : 0),
  };
}
