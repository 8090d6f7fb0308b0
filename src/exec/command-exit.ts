/**
 * A command run by k8s.exec, k8s.job or docker.exec exited with a code other than 0. Its message is the
 * run's error as before; `exitCode` is kept on the run (action_runs.exit_code), where a runbook's
 * `when: { step, exit_code }` reads it.
 */
export class CommandExitError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CommandExitError';
  }
}
