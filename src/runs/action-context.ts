import type { ActionContext } from '../actions/types.js';
import type { OpsConfig } from '../config/ops-config.js';
import { own } from '../config/own.js';
import type { Logger } from '../log.js';
import type { TargetDatabases } from '../targets/databases.js';
import type { Run } from './run.js';

/** What a kind's plan() and execute() get for one run: its service's settings and databases, its params. */
export function actionContext(
  config: Pick<OpsConfig, 'services'>,
  targets: TargetDatabases,
  run: Run,
  log: Logger,
  progress: (message: string) => void = () => undefined,
): ActionContext {
  const service = own(config.services, run.service);
  return {
    service: run.service,
    environment: service?.environment ?? 'production',
    params: run.params,
    database: (name) => targets.pool(run.service, name),
    allowedHosts: service?.allowed_hosts ?? [],
    progress,
    log,
  };
}
