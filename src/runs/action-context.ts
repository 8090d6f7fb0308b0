import type { ActionContext } from '../actions/types.js';
import type { Logger } from '../log.js';
import type { TargetDatabases } from '../targets/databases.js';
import type { Run } from './run.js';

/** What a kind's plan() and execute() get for one run: its service, its params, that service's databases. */
export function actionContext(targets: TargetDatabases, run: Run, log: Logger): ActionContext {
  return {
    service: run.service,
    params: run.params,
    database: (name) => targets.pool(run.service, name),
    log,
  };
}
