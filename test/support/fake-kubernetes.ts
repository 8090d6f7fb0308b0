import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { canonicalJson } from '../../src/audit/canonical.js';

export const KUBE_TOKEN = 'kube-test-token-not-for-logs';

/** A request the fake API server received, with its body parsed. */
export interface KubeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  body: unknown;
}

type Json = Record<string, unknown>;
type Obj = {
  metadata: Json & { name: string; annotations?: Record<string, string> };
  spec: Json;
  status?: Json;
};

/**
 * What happens after a change to a deployment: the controller finishes the rollout at once (`completes`),
 * or the new pods never become available (`stuck`).
 */
export type RolloutBehaviour = 'completes' | 'stuck';

/**
 * What the pod of the next Job created does: the lines its container logs, a batch more at each log request
 * (so a follower reads them over several polls), and how it ends. The Job ends at the first Job read after
 * `endAfterReads` log requests (default: one per batch); batches not read by then are written as it ends.
 * `hang` never ends; `deadline` is Kubernetes killing it at activeDeadlineSeconds (its pod deleted).
 */
export interface JobScript {
  batches: string[][];
  end: { exitCode: number } | 'hang' | 'deadline';
  endAfterReads?: number;
  /** `false`: its pod never starts, its container waiting with ImagePullBackOff. */
  starts?: false;
}

/** One line of a container's log, with the RFC3339Nano time the runtime stamped it with. */
export interface FakeLogLine {
  at: string;
  text: string;
}

/**
 * A Kubernetes API server for tests: deployments, their ReplicaSets and pods in memory, the few endpoints
 * opsbot calls, every request recorded. Patches are applied the way the API server would, closely enough
 * for the follow-up reads to show the change.
 */
export class FakeKubernetes {
  readonly requests: KubeRequest[] = [];
  readonly deployments = new Map<string, Obj>();
  readonly replicaSets: Obj[] = [];
  readonly pods: Obj[] = [];
  /** Deployment names whose every call answers 403. */
  readonly forbidden = new Set<string>();
  rollout: RolloutBehaviour = 'completes';
  /** Called with each request once recorded, before it is answered: a test's way to write in between. */
  onRequest: ((request: KubeRequest) => void) | undefined;
  /** A test's way to make a request fail: the HTTP status to answer it with instead, or undefined. */
  failWith: ((request: KubeRequest) => number | undefined) | undefined;
  /** Jobs created (batch/v1), as the API server holds them. */
  readonly jobs: Obj[] = [];
  /** Events (core/v1), listed by involvedObject. */
  readonly events: Obj[] = [];
  /** Log lines per `namespace/pod/container`. */
  readonly logs = new Map<string, FakeLogLine[]>();
  /** What the pod of the next Job created does. */
  jobScript: JobScript = { batches: [], end: { exitCode: 0 } };
  /** Per Job (`namespace/name`): its script, its pod, how many log requests it has had. */
  private readonly jobRuns = new Map<
    string,
    { script: JobScript; pod: Obj; reads: number; listed: number }
  >();
  /** The last log timestamp given out, in nanoseconds: each line's is later than the one before. */
  private clockNs = 0n;
  /** A field the next write fails validation on (422 Invalid naming it), as a webhook or schema would. */
  invalid: { field: string; message: string } | undefined;
  /** The last resourceVersion given out; every write to a deployment takes the next one, as etcd's do. */
  private version = 1000;
  private server: Server | undefined;
  private dir: string | undefined;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        text += chunk;
      });
      req.on('end', () => this.answer(req, text, res));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  /** The HTTP server, for protocols that are not plain requests (exec's WebSocket upgrade). */
  get httpServer(): Server {
    if (!this.server) throw new Error('the fake Kubernetes API server is not started');
    return this.server;
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  /** A kubeconfig file naming this server under each context; removed by stop(). */
  kubeconfig(contexts: string[] = ['prod']): string {
    this.dir ??= mkdtempSync(join(tmpdir(), 'opsbot-kube-'));
    const path = join(this.dir, `config-${contexts.join('-')}`);
    writeFileSync(
      path,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'fake', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'opsbot', user: { token: KUBE_TOKEN } }],
        contexts: contexts.map((name) => ({ name, context: { cluster: 'fake', user: 'opsbot' } })),
        'current-context': contexts[0],
      }),
    );
    return path;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Forgets every Job, event and log line, and the next Job's script. */
  clearJobsAndLogs(): void {
    this.jobs.length = 0;
    this.events.length = 0;
    this.logs.clear();
    this.jobRuns.clear();
    this.jobScript = { batches: [], end: { exitCode: 0 } };
  }

  /** Appends lines to a container's log, each stamped now (later than every line before). */
  writeLog(namespace: string, pod: string, container: string, lines: string[]): FakeLogLine[] {
    const key = `${namespace}/${pod}/${container}`;
    const log = this.logs.get(key) ?? [];
    const written = lines.map((text) => ({ at: this.stamp(), text }));
    log.push(...written);
    this.logs.set(key, log);
    return written;
  }

  /** An event about a pod, as the kubelet or scheduler records it. */
  addEvent(
    namespace: string,
    pod: string,
    event: { type: string; reason: string; message: string; at: Date; count?: number },
  ): void {
    this.events.push({
      metadata: { name: `${pod}.${this.events.length}`, namespace },
      spec: {},
      involvedObject: { kind: 'Pod', name: pod, namespace },
      type: event.type,
      reason: event.reason,
      message: event.message,
      count: event.count ?? 1,
      firstTimestamp: event.at.toISOString(),
      lastTimestamp: event.at.toISOString(),
    } as Obj);
  }

  /** The requests to one kind of path: `jobs`, `log`, `events`, `pods`. */
  requestsTo(kind: 'jobs' | 'log' | 'events' | 'pods'): KubeRequest[] {
    const pattern = {
      jobs: /^\/apis\/batch\/v1\/namespaces\/[^/]+\/jobs/,
      log: /\/pods\/[^/]+\/log$/,
      events: /^\/api\/v1\/namespaces\/[^/]+\/events$/,
      pods: /^\/api\/v1\/namespaces\/[^/]+\/pods$/,
    }[kind];
    return this.requests.filter((r) => pattern.test(r.path));
  }

  /** Requests that changed something. */
  patches(): KubeRequest[] {
    return this.requests.filter((r) => r.method === 'PATCH');
  }

  /** A deployment at `revision` whose ReplicaSets are revisions 1..revision (one image per revision). */
  addDeployment(
    namespace: string,
    name: string,
    options: {
      revisions?: number;
      replicas?: number;
      paused?: boolean;
      image?: (revision: number) => string;
    } = {},
  ): void {
    const { revisions = 2, replicas = 3, paused = false } = options;
    const image = options.image ?? ((revision: number) => `registry.example/${name}:1.${revision}`);
    const labels = { app: name };
    // Like a newer API server's: fields @kubernetes/client-node 1.4.0's models do not know, at pod and
    // container level, and the `creationTimestamp: null` real templates carry.
    const template = (revision: number) => ({
      metadata: {
        creationTimestamp: null,
        labels: { ...labels },
        annotations: { 'example.com/build': `b${revision}` },
      },
      spec: {
        containers: [{ name, image: image(revision), futureContainerField: { mode: `m${revision}` } }],
        futurePodField: { revision, rules: [{ kind: 'strict', values: [1, null, true] }] },
      },
    });
    const uid = `uid-${name}`;
    this.deployments.set(`${namespace}/${name}`, {
      metadata: {
        name,
        namespace,
        uid,
        generation: 1,
        resourceVersion: this.nextVersion(),
        annotations: { 'deployment.kubernetes.io/revision': String(revisions) },
      },
      spec: { replicas, paused, selector: { matchLabels: labels }, template: template(revisions) },
      status: {
        observedGeneration: 1,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
      },
    });
    for (let revision = 1; revision <= revisions; revision++) {
      const hash = `h${revision}`;
      const t = template(revision);
      this.replicaSets.push({
        metadata: {
          name: `${name}-${hash}`,
          namespace,
          labels: { ...labels, 'pod-template-hash': hash },
          annotations: {
            'deployment.kubernetes.io/revision': String(revision),
            'deployment.kubernetes.io/desired-replicas': String(replicas),
            'example.com/change-cause': `deploy ${revision}`,
          },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid, controller: true }],
        },
        spec: {
          replicas: revision === revisions ? replicas : 0,
          template: { ...t, metadata: { ...t.metadata, labels: { ...labels, 'pod-template-hash': hash } } },
        },
      });
    }
    for (let i = 0; i < replicas; i++) {
      this.pods.push({
        metadata: {
          name: `${name}-h${revisions}-${i}`,
          namespace,
          labels: { ...labels, 'pod-template-hash': `h${revisions}` },
          creationTimestamp: new Date(Date.now() - 3_600_000).toISOString(),
        } as Obj['metadata'],
        spec: { containers: [{ name, image: image(revisions) }] },
        status: {
          phase: 'Running',
          startTime: new Date(Date.now() - 3_600_000).toISOString(),
          conditions: [{ type: 'Ready', status: i === 0 && replicas > 1 ? 'False' : 'True' }],
          containerStatuses: [
            { name, ready: !(i === 0 && replicas > 1), restartCount: i, image: image(revisions) },
          ],
        },
      });
    }
  }

  /**
   * Someone else's deploy: a new revision with `image`, as `kubectl set image` would make it (a new
   * ReplicaSet, the deployment's template and revision annotation updated, a new resourceVersion).
   */
  deploy(namespace: string, name: string, image: string): void {
    const deployment = this.deployments.get(`${namespace}/${name}`);
    if (!deployment) throw new Error(`no deployment ${namespace}/${name}`);
    const annotations = deployment.metadata.annotations ?? {};
    const revision = Number(annotations['deployment.kubernetes.io/revision']) + 1;
    const template = structuredClone(deployment.spec.template) as {
      metadata: { labels: Record<string, string> };
      spec: { containers: { image: string }[] };
    };
    for (const container of template.spec.containers) container.image = image;
    deployment.spec.template = template;
    deployment.metadata.annotations = {
      ...annotations,
      'deployment.kubernetes.io/revision': String(revision),
    };
    const hash = `h${revision}`;
    this.replicaSets.push({
      metadata: {
        name: `${name}-${hash}`,
        namespace,
        labels: { ...template.metadata.labels, 'pod-template-hash': hash },
        annotations: {
          'deployment.kubernetes.io/revision': String(revision),
          'deployment.kubernetes.io/desired-replicas': String(deployment.spec.replicas),
          'example.com/change-cause': `deploy ${revision}`,
        },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name, uid: deployment.metadata.uid, controller: true },
        ],
      },
      spec: {
        replicas: deployment.spec.replicas,
        template: {
          ...structuredClone(template),
          metadata: {
            ...template.metadata,
            labels: { ...template.metadata.labels, 'pod-template-hash': hash },
          },
        },
      },
    });
    this.written(deployment);
  }

  /** Now as RFC3339Nano (trailing zeros of the fraction dropped, as Go writes it), after every earlier stamp. */
  private stamp(): string {
    const now = BigInt(Date.now()) * 1_000_000n;
    this.clockNs = now > this.clockNs ? now + 1n : this.clockNs + 1_000n;
    const seconds = new Date(Number(this.clockNs / 1_000_000_000n) * 1000)
      .toISOString()
      .replace(/\.\d+Z$/, '');
    const fraction = String(this.clockNs % 1_000_000_000n)
      .padStart(9, '0')
      .replace(/0+$/, '');
    return `${seconds}${fraction ? `.${fraction}` : ''}Z`;
  }

  private nextVersion(): string {
    this.version += 1;
    return String(this.version);
  }

  private answer(req: IncomingMessage, text: string, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const contentType = req.headers['content-type'];
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const request: KubeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      contentType,
      body,
    };
    this.requests.push(request);
    this.onRequest?.(request);
    const send = (code: number, value: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const failure = this.failWith?.(request);
    if (failure !== undefined) {
      send(
        failure,
        status(failure, 'InternalError', `the fake API server failed ${request.method} ${url.pathname}`),
      );
      return;
    }
    if (req.headers.authorization !== `Bearer ${KUBE_TOKEN}`) {
      send(401, status(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    const deployment = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)(\/scale)?$/.exec(
      url.pathname,
    );
    if (deployment) {
      const [, namespace, name, scale] = deployment as unknown as [
        string,
        string,
        string,
        string | undefined,
      ];
      if (this.forbidden.has(name)) {
        const message = `deployments.apps "${name}" is forbidden: User "system:serviceaccount:ops:opsbot" cannot get resource "deployments" in API group "apps" in the namespace "${namespace}"`;
        send(403, status(403, 'Forbidden', message));
        return;
      }
      const found = this.deployments.get(`${namespace}/${name}`);
      if (!found) {
        send(404, status(404, 'NotFound', `deployments.apps "${name}" not found`));
        return;
      }
      if (req.method === 'PATCH' && this.invalid) {
        send(422, invalidStatus(name, this.invalid));
        this.invalid = undefined;
        return;
      }
      if (req.method === 'PATCH' && !this.patch(found, body, contentType, scale !== undefined)) {
        send(422, PATCH_NOT_APPLIED);
        return;
      }
      send(200, scale ? scaleOf(found) : found);
      return;
    }
    const jobs = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs(?:\/([^/]+))?$/.exec(url.pathname);
    if (jobs) {
      const [, namespace, name] = jobs as unknown as [string, string, string | undefined];
      this.answerJobs(req.method ?? 'GET', namespace, name, body, send);
      return;
    }
    const log = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(url.pathname);
    if (log) {
      const [, namespace, pod] = log as unknown as [string, string, string];
      this.answerLog(namespace, pod, url.searchParams, res, send);
      return;
    }
    const events = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(url.pathname);
    if (events) {
      const [, namespace] = events as unknown as [string, string];
      const fields = (url.searchParams.get('fieldSelector') ?? '').split(',').filter(Boolean);
      const items = this.events.filter(
        (event) =>
          event.metadata.namespace === namespace &&
          fields.every((field) => {
            const [path, value] = field.split('=') as [string, string];
            return String(path.split('.').reduce<unknown>((v, k) => (v as Json)?.[k], event)) === value;
          }),
      );
      send(200, { kind: 'EventList', apiVersion: 'v1', metadata: {}, items });
      return;
    }
    const list = /^\/(?:apis\/apps\/v1|api\/v1)\/namespaces\/([^/]+)\/(replicasets|pods)$/.exec(url.pathname);
    if (list) {
      const [, namespace, kind] = list as unknown as [string, string, 'replicasets' | 'pods'];
      const selector = url.searchParams.get('labelSelector') ?? '';
      const items = (kind === 'pods' ? this.pods : this.replicaSets).filter(
        (item) => item.metadata.namespace === namespace && matches(item, selector),
      );
      if (kind === 'pods') for (const pod of items) this.podListed(pod);
      send(200, {
        kind: kind === 'pods' ? 'PodList' : 'ReplicaSetList',
        apiVersion: 'v1',
        metadata: {},
        items,
      });
      return;
    }
    send(404, status(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`));
  }

  /** Jobs: create (409 when the name is taken), read (the scripted pod moves on), delete (its pods too). */
  private answerJobs(
    method: string,
    namespace: string,
    name: string | undefined,
    body: unknown,
    send: (code: number, value: unknown) => void,
  ): void {
    if (method === 'POST') {
      const job = structuredClone(body) as Obj;
      const jobName = job.metadata.name;
      if (this.jobs.some((j) => j.metadata.namespace === namespace && j.metadata.name === jobName)) {
        send(409, status(409, 'AlreadyExists', `jobs.batch "${jobName}" already exists`));
        return;
      }
      const uid = `uid-job-${this.jobs.length + 1}`;
      Object.assign(job.metadata, { namespace, uid, creationTimestamp: new Date().toISOString() });
      job.status = { startTime: new Date().toISOString(), active: 1 };
      this.jobs.push(job);
      const script = structuredClone(this.jobScript);
      script.endAfterReads ??= script.batches.length;
      this.jobRuns.set(`${namespace}/${jobName}`, {
        script,
        pod: this.jobPod(namespace, job, uid),
        reads: 0,
        listed: 0,
      });
      send(201, job);
      return;
    }
    const index = this.jobs.findIndex((j) => j.metadata.namespace === namespace && j.metadata.name === name);
    const job = this.jobs[index];
    if (!job || !name) {
      send(404, status(404, 'NotFound', `jobs.batch "${name}" not found`));
      return;
    }
    if (method === 'DELETE') {
      this.jobs.splice(index, 1);
      const run = this.jobRuns.get(`${namespace}/${name}`);
      const at = run ? this.pods.indexOf(run.pod) : -1;
      if (at >= 0) this.pods.splice(at, 1);
      send(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name } });
      return;
    }
    this.advanceJob(namespace, job);
    send(200, job);
  }

  /** The pod the Job controller makes: the template's, labelled with job-name, waiting to start. */
  private jobPod(namespace: string, job: Obj, uid: string): Obj {
    const template = (job.spec.template ?? {}) as { metadata?: { labels?: Json }; spec?: Json };
    const name = job.metadata.name;
    const spec = structuredClone(template.spec ?? {}) as { containers?: { name: string }[] };
    const pod: Obj = {
      metadata: {
        name: `${name}-x7k2p`,
        namespace,
        labels: {
          ...(template.metadata?.labels ?? {}),
          'job-name': name,
          'batch.kubernetes.io/job-name': name,
          'controller-uid': uid,
        },
        creationTimestamp: new Date().toISOString(),
      } as Obj['metadata'],
      spec: spec as Json,
      status: {
        phase: 'Pending',
        containerStatuses: (spec.containers ?? []).map((c) => ({
          name: c.name,
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'ContainerCreating' } },
        })),
      },
    };
    this.pods.push(pod);
    return pod;
  }

  /** A Job's pod starts once it has been listed waiting (so a follower meets a pod not yet started). */
  private podListed(pod: Obj): void {
    const run = [...this.jobRuns.values()].find((r) => r.pod === pod);
    const podStatus = pod.status as { phase: string; containerStatuses: { state: Json; ready: boolean }[] };
    if (!run || ++run.listed < 2 || podStatus.phase !== 'Pending') return;
    if (run.script.starts === false) {
      for (const container of podStatus.containerStatuses) {
        container.state = { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } };
      }
      return;
    }
    podStatus.phase = 'Running';
    for (const container of podStatus.containerStatuses) {
      container.state = { running: { startedAt: new Date().toISOString() } };
      container.ready = true;
    }
  }

  /** At a Job read: ends it as scripted once its pod's log has been read often enough. */
  private advanceJob(namespace: string, job: Obj): void {
    const run = this.jobRuns.get(`${namespace}/${job.metadata.name}`);
    const jobStatus = job.status as Json;
    if (!run || jobStatus.active !== 1 || run.script.end === 'hang') return;
    if (run.reads < (run.script.endAfterReads ?? 0)) return;
    const { end } = run.script;
    const container = ((run.pod.spec as { containers?: { name: string }[] }).containers ?? [])[0]?.name ?? '';
    for (const batch of run.script.batches.splice(0)) {
      this.writeLog(namespace, run.pod.metadata.name, container, batch);
    }
    const now = new Date().toISOString();
    const podStatus = run.pod.status as { phase: string; containerStatuses: Json[] };
    delete jobStatus.active;
    if (end === 'deadline') {
      this.pods.splice(this.pods.indexOf(run.pod), 1);
      Object.assign(jobStatus, {
        failed: 1,
        conditions: [
          {
            type: 'Failed',
            status: 'True',
            reason: 'DeadlineExceeded',
            message: 'Job was active longer than specified deadline',
          },
        ],
      });
      return;
    }
    const ok = end.exitCode === 0;
    podStatus.phase = ok ? 'Succeeded' : 'Failed';
    for (const c of podStatus.containerStatuses) {
      c.ready = false;
      c.state = {
        terminated: { exitCode: end.exitCode, reason: ok ? 'Completed' : 'Error', finishedAt: now },
      };
    }
    Object.assign(
      jobStatus,
      ok
        ? {
            succeeded: 1,
            completionTime: now,
            conditions: [
              { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached' },
              { type: 'Complete', status: 'True', reason: 'CompletionsReached' },
            ],
          }
        : {
            failed: 1,
            conditions: [
              { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded' },
              {
                type: 'Failed',
                status: 'True',
                reason: 'BackoffLimitExceeded',
                message: 'Job has reached the specified backoff limit',
              },
            ],
          },
    );
  }

  /**
   * A container's log as the kubelet serves it: `container` (required when the pod has several),
   * `sinceTime`, `sinceSeconds`, `tailLines`, `timestamps`, `limitBytes`; a Job's pod writes its next
   * scripted batch first.
   */
  private answerLog(
    namespace: string,
    podName: string,
    query: URLSearchParams,
    res: ServerResponse,
    send: (code: number, value: unknown) => void,
  ): void {
    const pod = this.pods.find((p) => p.metadata.namespace === namespace && p.metadata.name === podName);
    if (!pod) {
      send(404, status(404, 'NotFound', `pods "${podName}" not found`));
      return;
    }
    const names = ((pod.spec as { containers?: { name: string }[] }).containers ?? []).map((c) => c.name);
    const statuses = ((pod.status as Json | undefined)?.containerStatuses ?? []) as {
      name: string;
      state?: { waiting?: { reason?: string } };
      lastState?: { terminated?: unknown };
    }[];
    const container = query.get('container') ?? (names.length === 1 ? names[0] : undefined);
    if (!container || !names.includes(container)) {
      const message = container
        ? `container ${container} is not valid for pod ${podName}`
        : `a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]`;
      send(400, status(400, 'BadRequest', message));
      return;
    }
    const state = statuses.find((c) => c.name === container);
    if (state?.state?.waiting && !state.lastState?.terminated) {
      const message = `container "${container}" in pod "${podName}" is waiting to start: ${state.state.waiting.reason}`;
      send(400, status(400, 'BadRequest', message));
      return;
    }
    const run = [...this.jobRuns.values()].find((r) => r.pod === pod);
    if (run) {
      run.reads += 1;
      const batch = run.script.batches.shift();
      if (batch) this.writeLog(namespace, podName, container, batch);
    }
    let lines = this.logs.get(`${namespace}/${podName}/${container}`) ?? [];
    const sinceTime = query.get('sinceTime');
    if (sinceTime) lines = lines.filter((line) => nanos(line.at) >= nanos(sinceTime));
    const sinceSeconds = query.get('sinceSeconds');
    if (sinceSeconds) {
      const from = BigInt(Date.now() - Number(sinceSeconds) * 1000) * 1_000_000n;
      lines = lines.filter((line) => nanos(line.at) >= from);
    }
    const tail = query.get('tailLines');
    if (tail) lines = lines.slice(-Number(tail));
    const stamped = query.get('timestamps') === 'true';
    let text = lines.map((line) => `${stamped ? `${line.at} ` : ''}${line.text}\n`).join('');
    const limit = query.get('limitBytes');
    if (limit) text = Buffer.from(text).subarray(0, Number(limit)).toString('utf8');
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(text);
  }

  /**
   * Applies a patch as the API server does; false (and nothing changed) when a JSON patch does not apply,
   * such as a `test` op whose value differs from the deployment's.
   */
  private patch(deployment: Obj, body: unknown, contentType: string | undefined, scale: boolean): boolean {
    if (contentType === 'application/json-patch+json' && Array.isArray(body)) {
      const patched = applyJsonPatch(deployment, body as JsonPatchOp[]);
      if (!patched) return false;
      for (const key of Object.keys(deployment)) delete (deployment as unknown as Json)[key];
      Object.assign(deployment, patched);
    } else {
      const patch = (scale ? { spec: (body as Obj).spec } : body) as Json;
      deepMerge(deployment as unknown as Json, patch);
    }
    this.written(deployment);
    return true;
  }

  /** What the API server and the controller do after any write: new resourceVersion, generation, status. */
  private written(deployment: Obj): void {
    deployment.metadata.resourceVersion = this.nextVersion();
    const generation = Number(deployment.metadata.generation) + 1;
    deployment.metadata.generation = generation;
    const replicas = Number(deployment.spec.replicas);
    deployment.status =
      this.rollout === 'completes'
        ? {
            observedGeneration: generation,
            replicas,
            updatedReplicas: replicas,
            readyReplicas: replicas,
            availableReplicas: replicas,
          }
        : {
            observedGeneration: generation,
            replicas: replicas + 1,
            updatedReplicas: 1,
            readyReplicas: replicas,
            availableReplicas: replicas,
          };
  }
}

/**
 * What a real API server answers a JSON patch that does not apply (a failed `test`, a path that is not
 * there): 422, reason Invalid, a generic message, no causes (apiserver's patch handler,
 * NewGenericServerResponse(422, ...)).
 */
const PATCH_NOT_APPLIED = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'the server rejected our request due to an error in our request',
  reason: 'Invalid',
  details: {},
  code: 422,
};

/** A validation failure as the API server answers it: 422 Invalid, the field named in the causes. */
function invalidStatus(name: string, invalid: { field: string; message: string }): Json {
  return {
    ...status(422, 'Invalid', `Deployment.apps "${name}" is invalid: ${invalid.field}: ${invalid.message}`),
    details: {
      name,
      group: 'apps',
      kind: 'Deployment',
      causes: [{ reason: 'FieldValueRequired', message: invalid.message, field: invalid.field }],
    },
  };
}

type JsonPatchOp = { op: string; path: string; value?: unknown };

/** RFC 6902 on a copy: the patched object, or undefined when any op does not apply (then none does). */
function applyJsonPatch(object: Obj, ops: JsonPatchOp[]): Obj | undefined {
  const copy = structuredClone(object) as unknown as Json;
  for (const { op, path, value } of ops) {
    const keys = path
      .split('/')
      .slice(1)
      .map((key) => key.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = keys.pop();
    let parent: unknown = copy;
    for (const key of keys) parent = (parent as Json | undefined)?.[key];
    if (last === undefined || !parent || typeof parent !== 'object') return undefined;
    const holder = parent as Json;
    const list = Array.isArray(parent) ? (parent as unknown[]) : undefined;
    if (op === 'test') {
      if (!(last in holder) || canonicalJson(holder[last]) !== canonicalJson(value)) return undefined;
    } else if (op === 'replace') {
      if (!(last in holder)) return undefined;
      holder[last] = structuredClone(value);
    } else if (op === 'add' && list) {
      list.splice(last === '-' ? list.length : Number(last), 0, structuredClone(value));
    } else if (op === 'add') {
      holder[last] = structuredClone(value);
    } else if (op === 'remove') {
      if (!(last in holder)) return undefined;
      if (list) list.splice(Number(last), 1);
      else delete holder[last];
    } else {
      return undefined;
    }
  }
  return copy as unknown as Obj;
}

function status(code: number, reason: string, message: string): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/** An RFC3339 time in nanoseconds since the epoch, its fraction to the nanosecond. */
function nanos(at: string): bigint {
  const [, seconds, fraction = ''] = /^([^.Z]+)(?:\.(\d+))?Z$/.exec(at) as unknown as [
    string,
    string,
    string?,
  ];
  return BigInt(Date.parse(`${seconds}Z`)) * 1_000_000n + BigInt(fraction.padEnd(9, '0').slice(0, 9));
}

function scaleOf(deployment: Obj): Json {
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: deployment.metadata.name, namespace: deployment.metadata.namespace },
    spec: { replicas: deployment.spec.replicas },
    status: { replicas: (deployment.status as Json | undefined)?.replicas ?? 0 },
  };
}

/** `app=api,tier=web` equality selectors, which is all opsbot's fake deployments use. */
function matches(item: Obj, selector: string): boolean {
  const labels = (item.metadata.labels ?? {}) as Record<string, string>;
  return selector
    .split(',')
    .filter(Boolean)
    .every((part) => {
      const [key, value] = part.split('=') as [string, string];
      return labels[key] === value;
    });
}

function deepMerge(target: Json, patch: Json): void {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    if (
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      current &&
      typeof current === 'object'
    ) {
      deepMerge(current as Json, value as Json);
    } else {
      target[key] = value;
    }
  }
}
