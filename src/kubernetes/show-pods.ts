import { type Authority, authorize, viewing } from '../auth/authorizer.js';
import type { OpsConfig } from '../config/ops-config.js';
import { own } from '../config/own.js';
import { NotFoundError } from '../errors.js';
import type { ResultTable } from '../result-table.js';
import type { KubernetesTargets } from '../targets/kubernetes.js';
import { podsTable } from './pods.js';

export interface PodsServiceDeps extends Authority {
  config: Pick<OpsConfig, 'services'>;
  kubernetes: KubernetesTargets;
}

/** `/ops pods <service>`: pod readiness of the service's deployments, for viewers and above. */
export class PodsService {
  constructor(private readonly deps: PodsServiceDeps) {}

  async pods(actor: string, service: string): Promise<{ header: string; table: ResultTable }> {
    const settings = own(this.deps.config.services, service);
    if (!settings) throw new NotFoundError(`There is no service called ${service}.`);
    await authorize(this.deps, viewing(actor, service, 'pods'));
    if (!settings.kubernetes) throw new NotFoundError(`${service} has no kubernetes section in ops.yml.`);
    const target = this.deps.kubernetes.target(service);
    const { table, ready, pods } = await podsTable(target);
    return {
      header: `*${service} pods* in ${target.namespace} (context ${target.context}): ${ready} of ${pods} ready.`,
      table,
    };
  }
}
