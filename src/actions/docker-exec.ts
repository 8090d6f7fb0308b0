import { z } from 'zod';
import { Duration, formatDuration } from '../config/duration.js';
import { containerFacts, containerTable, runningContainers } from '../docker/containers.js';
import { execInContainer } from '../docker/exec.js';
import { CommandExitError } from '../exec/command-exit.js';
import { LAST_LINES, withLastLines } from '../exec/last-lines.js';
import { Argv, argvProblems, argvText, fillArgv, redactedArgvText } from './argv.js';
import { composeServiceProblems, dockerFields, onComposeService, withSummary } from './docker-fields.js';
import { ParamsSchema } from './params.js';
import type { ActionKind } from './types.js';

/** An ops.yml entry of kind `docker.exec`. */
export const DockerExecSchema = withSummary(
  z.strictObject({
    kind: z.literal('docker.exec'),
    ...dockerFields,
    params: ParamsSchema,
    /** argv, run without a shell; `{param}` fills part of one element and stays inside it. */
    command: Argv,
    /** When the command has not finished by then, opsbot stops waiting and the run fails. */
    timeout: Duration.prefault('5m'),
    /** Whether running it twice is harmless (VACUUM is; most commands are not). */
    idempotent: z.boolean().default(false),
  }),
  (config) => `Run ${clip(argvText(config.command), 100)} in the ${config.service} compose service`,
);

export type DockerExecAction = z.infer<typeof DockerExecSchema>;

/** `docker-compose exec -T <service> <argv>`: a command in the service's first running container, output streamed. */
export const dockerExecKind: ActionKind<DockerExecAction> = {
  kind: 'docker.exec',
  configSchema: DockerExecSchema,
  help: {
    line: "Runs a configured command (argv, never a shell) in the first running container of a compose service (docker-compose exec), streaming its output to the run's thread.",
    example: [
      'vacuum:  # /ops vacuum <service>',
      '  kind: docker.exec',
      '  service: postgres',
      '  command: ["psql", "-U", "benchmark_user", "-d", "benchmark_db", "-c", "VACUUM ANALYZE"]',
      '  risk: low',
    ].join('\n'),
  },
  idempotent: (config) => config.idempotent,
  target: onComposeService.target,

  check(config, service) {
    return [
      ...argvProblems(config.command, config.params),
      ...composeServiceProblems(config.service, service),
    ];
  },

  async plan(config, ctx) {
    const target = ctx.docker();
    const argv = fillArgv(config.command, ctx.params);
    const [first] = await runningContainers(target, config.service, 'run the command in');
    const facts = await containerFacts(target, [first]);
    const command = redactedArgvText(argv, ctx.redact);
    return {
      summary: ctx.redact(
        `Run \`${command}\` in ${first.name} (compose project ${target.project}), without a shell; it may take up to ${formatDuration(config.timeout)}.`,
      ),
      table: containerTable(facts, () => `exec ${command}`, ctx.redact),
    };
  },

  async execute(config, ctx) {
    const target = ctx.docker();
    const argv = fillArgv(config.command, ctx.params);
    const [container] = await runningContainers(target, config.service, 'run the command in');
    const command = redactedArgvText(argv, ctx.redact);
    const output = ctx.output(`${command} in ${container.name}`);
    let end: Awaited<ReturnType<typeof execInContainer>>;
    try {
      end = await execInContainer(target, container, argv, output, config.timeout);
    } catch (error) {
      await output.close('failed');
      throw error;
    }
    if ('timedOut' in end) {
      await output.close(`stopped waiting after ${formatDuration(config.timeout)}`);
      throw new Error(
        `\`${command}\` did not finish within ${formatDuration(config.timeout)} in ${container.name}, so opsbot stopped waiting (the Docker Engine cannot kill an exec: check for the process in the container).`,
      );
    }
    await output.close(`exit code ${end.exitCode}`);
    if (end.exitCode !== 0) {
      throw new CommandExitError(
        withLastLines(
          `\`${command}\` exited with code ${end.exitCode} in ${container.name}`,
          output.lastLines(LAST_LINES),
        ),
        end.exitCode,
      );
    }
    return {
      summary: `\`${command}\` exited with code 0 in ${container.name}; its output is in the thread.`,
      exitCode: 0,
    };
  },
};

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
