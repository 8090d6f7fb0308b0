import { type Authority, authorize, viewing } from '../auth/authorizer.js';
import type { OpsConfig } from '../config/ops-config.js';
import { own } from '../config/own.js';
import { NotFoundError } from '../errors.js';
import type { Redactor } from '../exec/redactor.js';
import type { ResultTable } from '../result-table.js';
import type { KubernetesTarget, KubernetesTargets } from '../targets/kubernetes.js';
import { type PodDetail, podDetail } from './pod-detail.js';
import { podsTable } from './pods.js';

export interface PodsServiceDeps extends Authority {
  config: Pick<OpsConfig, 'services'>;
  kubernetes: KubernetesTargets;
  /** What a pod's events and container states are redacted with. */
  redactor: Pick<Redactor, 'redact'>;
}

/** `/ops pods <service> [pod]`: pod readiness of the service's deployments, or one pod in detail, for viewers and above. */
export class PodsService {
  constructor(private readonly deps: PodsServiceDeps) {}

  async pods(actor: string, service: string): Promise<{ header: string; table: ResultTable }> {
    const target = await this.target(actor, service);
    const { table, ready, pods } = await podsTable(target);
    return {
      header: `*${service} pods* in ${target.namespace} (context ${target.context}): ${ready} of ${pods} ready.`,
      table,
    };
  }

  /** `/ops pods <service> <pod>`: one pod of the service's deployments, its containers and recent events. */
  async pod(actor: string, service: string, pod: string): Promise<{ header: string; detail: PodDetail }> {
    const target = await this.target(actor, service);
    const detail = await podDetail(target, pod, (text) => this.deps.redactor.redact(text));
    if (!detail) {
      throw new NotFoundError(
        `${pod} is not a pod of ${service}'s deployments (${target.deployments.join(', ')}); \`/ops pods ${service}\` lists them.`,
      );
    }
    return {
      header: `*${pod}* of ${detail.deployment} in ${target.namespace} (context ${target.context}): ${detail.phase}${
        detail.node ? ` on ${detail.node}` : ''
      }.`,
      detail,
    };
  }

  /** The service's Kubernetes, once the actor may view the service. */
  private async target(actor: string, service: string): Promise<KubernetesTarget> {
    const settings = own(this.deps.config.services, service);
    if (!settings) throw new NotFoundError(`There is no service called ${service}.`);
    await authorize(this.deps, viewing(actor, service, 'pods'));
    if (!settings.kubernetes) throw new NotFoundError(`${service} has no kubernetes section in ops.yml.`);
    return this.deps.kubernetes.target(service);
  }
}
