import type { Pool } from 'pg';
import type { ActionContext } from '../actions/types.js';
import type { OpsConfig } from '../config/ops-config.js';
import { own } from '../config/own.js';
import type { Redactor } from '../exec/redactor.js';
import type { Logger } from '../log.js';
import type { TargetDatabases } from '../targets/databases.js';
import type { DockerTargets } from '../targets/docker.js';
import type { KubernetesTargets } from '../targets/kubernetes.js';
import type { RunCards } from './cards.js';
import { discardedOutput, runOutputStream } from './output-stream.js';
import type { Run } from './run.js';
import { serviceState } from './service-state.js';

/** What building an action context needs: the config, the services' targets, opsbot's own database. */
export interface ContextSources {
  config: Pick<OpsConfig, 'services'>;
  targets: TargetDatabases;
  kubernetes: KubernetesTargets;
  docker: DockerTargets;
  redactor: Redactor;
  pool: Pool;
}

/** What execute() also gets: the run's progress line on its card, and its thread for command output. */
export interface ExecutionSinks {
  progress(message: string): void;
  cards: RunCards;
}

/**
 * What a kind's plan() and execute() get for one run: its service's settings and targets, its params. With
 * `sinks` (execute), progress edits the card and command output streams to the thread; without, both are
 * discarded.
 */
export function actionContext(
  sources: ContextSources,
  run: Run,
  log: Logger,
  sinks?: ExecutionSinks,
): ActionContext {
  const service = own(sources.config.services, run.service);
  let streams = 0;
  return {
    runId: run.id,
    service: run.service,
    environment: service?.environment ?? 'production',
    params: run.params,
    database: (name) => sources.targets.pool(run.service, name),
    allowedHosts: service?.allowed_hosts ?? [],
    kubernetes: () => sources.kubernetes.target(run.service),
    docker: () => sources.docker.target(run.service),
    output: (title) =>
      sinks
        ? runOutputStream({ cards: sinks.cards, redactor: sources.redactor, log }, run, ++streams, title)
        : discardedOutput,
    redact: (text) => sources.redactor.redact(text),
    state: serviceState(sources.pool, run.service, run),
    progress: sinks?.progress ?? (() => undefined),
    log,
  };
}
