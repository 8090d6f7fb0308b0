import type { Pool } from 'pg';
import type { ActionContext } from '../actions/types.js';
import type { OpsConfig } from '../config/ops-config.js';
import { own } from '../config/own.js';
import type { Logger } from '../log.js';
import type { TargetDatabases } from '../targets/databases.js';
import type { KubernetesTargets } from '../targets/kubernetes.js';
import type { Run } from './run.js';
import { serviceState } from './service-state.js';

/** What building an action context needs: the config, the services' databases and clusters, opsbot's own. */
export interface ContextSources {
  config: Pick<OpsConfig, 'services'>;
  targets: TargetDatabases;
  kubernetes: KubernetesTargets;
  pool: Pool;
}

/** What a kind's plan() and execute() get for one run: its service's settings and databases, its params. */
export function actionContext(
  sources: ContextSources,
  run: Run,
  log: Logger,
  progress: (message: string) => void = () => undefined,
): ActionContext {
  const service = own(sources.config.services, run.service);
  return {
    service: run.service,
    environment: service?.environment ?? 'production',
    params: run.params,
    database: (name) => sources.targets.pool(run.service, name),
    allowedHosts: service?.allowed_hosts ?? [],
    kubernetes: () => sources.kubernetes.target(run.service),
    state: serviceState(sources.pool, run.service, run),
    progress,
    log,
  };
}
