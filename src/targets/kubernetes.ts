import { AppsV1Api, BatchV1Api, CoreV1Api, Exec, KubeConfig } from '@kubernetes/client-node';
import { own } from '../config/own.js';
import { UnavailableError, UserError } from '../errors.js';

/** One service's Kubernetes: API clients for its context, its namespace and the deployments it may touch. */
export interface KubernetesTarget {
  apps: AppsV1Api;
  /** Jobs (k8s.job). */
  batch: BatchV1Api;
  core: CoreV1Api;
  /** Commands run in pods over the exec API's WebSocket (k8s.exec). */
  exec: Exec;
  context: string;
  namespace: string;
  deployments: readonly string[];
}

/** A service's kubernetes section in ops.yml, as KubernetesTargets reads it. */
export interface KubernetesSettings {
  context: string;
  namespace: string;
  deployments: readonly string[];
}

/**
 * API clients per configured context, made on first use from KUBECONFIG (or ~/.kube/config, or the
 * in-cluster service account when running in a pod).
 */
export class KubernetesTargets {
  private loaded: KubeConfig | undefined;
  private readonly clients = new Map<string, Pick<KubernetesTarget, 'apps' | 'batch' | 'core' | 'exec'>>();

  constructor(
    private readonly services: Record<string, { kubernetes?: KubernetesSettings | undefined }>,
    private readonly kubeconfigPath?: string,
  ) {}

  /** The Kubernetes of `service`; a clear error when it has none or its context is unknown. */
  target(service: string): KubernetesTarget {
    const settings = own(this.services, service)?.kubernetes;
    if (!settings) throw new UserError(`${service} has no kubernetes section in ops.yml.`);
    return {
      ...this.clientsFor(settings.context),
      context: settings.context,
      namespace: settings.namespace,
      deployments: settings.deployments,
    };
  }

  private clientsFor(context: string): Pick<KubernetesTarget, 'apps' | 'batch' | 'core' | 'exec'> {
    const existing = this.clients.get(context);
    if (existing) return existing;
    const config = this.kubeConfig();
    const known = config.getContexts().map((c) => c.name);
    // In a pod, the service account's config has a single context whatever ops.yml calls it.
    const inCluster = known.length === 1 && known[0] === 'inClusterContext';
    if (!inCluster) {
      if (!known.includes(context)) {
        throw new UnavailableError(
          `Kubernetes context ${context} is not in the kubeconfig (it has ${known.join(', ') || 'none'}).`,
        );
      }
      config.setCurrentContext(context);
    }
    const clients = {
      apps: config.makeApiClient(AppsV1Api),
      batch: config.makeApiClient(BatchV1Api),
      core: config.makeApiClient(CoreV1Api),
      exec: new Exec(config),
    };
    this.clients.set(context, clients);
    return clients;
  }

  /** A fresh copy per context, since the current context is part of the KubeConfig object. */
  private kubeConfig(): KubeConfig {
    if (!this.loaded) {
      const loaded = new KubeConfig();
      try {
        if (this.kubeconfigPath) loaded.loadFromFile(this.kubeconfigPath);
        else loaded.loadFromDefault();
      } catch (error) {
        throw new UnavailableError(
          `The kubeconfig could not be read (${error instanceof Error ? error.message : String(error)}).`,
        );
      }
      this.loaded = loaded;
    }
    const copy = new KubeConfig();
    copy.loadFromOptions({
      clusters: this.loaded.clusters,
      users: this.loaded.users,
      contexts: this.loaded.contexts,
      currentContext: this.loaded.currentContext,
    });
    return copy;
  }
}
