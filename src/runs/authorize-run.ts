import { requireAction } from '../actions/catalog.js';
import type { Authorizer, Checkpoint } from '../auth/authorizer.js';
import type { OpsConfig } from '../config/ops-config.js';
import type { Run } from './run.js';

/** The policy again, for an existing run's action, arguments and channel, as `actor` at `checkpoint`. */
export async function authorizeRun(
  authorizer: Authorizer,
  config: Pick<OpsConfig, 'services'>,
  run: Run,
  actor: string,
  checkpoint: Checkpoint,
): Promise<void> {
  await authorizer.require(
    {
      actor,
      channel: run.channel_id,
      service: run.service,
      action: run.action,
      config: requireAction(config, run.service, run.action),
      params: run.params,
    },
    checkpoint,
    run.id,
  );
}
