import { type Job, type JobsOptions, Queue, UnrecoverableError, Worker, type WorkerOptions } from 'bullmq';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { isNetworkError, isRedisUnreachable, unlessOutage } from '../outages.js';
import { outagesOf, type RedisConnection } from './redis.js';

/** The queue that carries action runs from the web role to workers. */
export const ACTIONS_QUEUE = 'ops-actions';
/** The queue that carries stored PagerDuty events from the web role to workers, and spaced roll-up edits. */
export const PAGERDUTY_QUEUE = 'pagerduty-events';
/** The queue of runbook runs: one job per running runbook, delayed between its looks (src/runbooks/worker.ts). */
export const RUNBOOKS_QUEUE = 'ops-runbooks';
/** The queue of digest jobs, one job scheduler per digest schedule. */
export const DIGEST_QUEUE = 'ops-digest';
/** The queue of incident slots: a delayed job per incident and time something of it is due (slot-queue.ts). */
export const INCIDENT_SLOTS_QUEUE = 'ops-incident-slots';

const RowId = z.string().regex(/^\d+$/);
/** A tick carries nothing: it reads the config and the database. */
const Tick = {
  data: z.strictObject({}),
  opts: { attempts: 1, removeOnComplete: true, removeOnFail: { count: 100 } },
};
const Digest = {
  data: z.strictObject({ schedule: z.enum(['daily', 'weekly']) }),
  opts: {
    attempts: 3,
    backoff: { type: 'exponential', delay: 5_000 },
    removeOnComplete: true,
    removeOnFail: { count: 100 },
  },
};
/** PagerDuty jobs: five tries, and a long memory of them for the sweep and for people. */
const PAGERDUTY_OPTS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 5000 },
};

/** One kind of job: the zod schema of its data and the options every job of it is added with. */
interface JobSpec {
  data: z.ZodType;
  opts: JobsOptions;
}

/** One queue: the word its logs use, jobs one process works at once, and its jobs by name. */
interface QueueSpec {
  label: string;
  concurrency: number;
  jobs: Record<string, JobSpec>;
  /** Lock and stall settings, when the queue's jobs need other than BullMQ's defaults. */
  worker?: Pick<WorkerOptions, 'lockDuration' | 'stalledInterval' | 'maxStalledCount'>;
}

/**
 * Every BullMQ queue opsbot uses, by its name in Redis, with each job's data schema and options, so producer
 * and consumer share one type. Job data holds ids only: the rows in PostgreSQL are the truth, and no secret
 * ever sits in Redis. A tick queue's one job scheduler has the job's name.
 */
export const QUEUES = {
  [ACTIONS_QUEUE]: {
    label: 'action',
    concurrency: 4,
    jobs: {
      run: {
        data: z.strictObject({ runId: z.string().regex(/^run_[a-f0-9]{12}$/) }),
        opts: { attempts: 1, removeOnComplete: { count: 1000 }, removeOnFail: { count: 5000 } },
      },
    },
    // A worker that dies mid-action loses its lock within 10 s and another worker's check (every 5 s) hands the
    // job on; the executor then waits for the run's heartbeat to go stale before re-running or interrupting it.
    worker: { lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 1 },
  },
  [PAGERDUTY_QUEUE]: {
    label: 'PagerDuty',
    // Events of one PagerDuty service wait for each other anyway.
    concurrency: 4,
    jobs: {
      event: { data: z.strictObject({ eventRowId: RowId }), opts: PAGERDUTY_OPTS },
      'storm-edit': { data: z.strictObject({ stormId: RowId }), opts: PAGERDUTY_OPTS },
    },
  },
  [RUNBOOKS_QUEUE]: {
    label: 'runbook',
    // A look is short (a step's waits are the job's delays, not its work), so many runbooks share a worker.
    concurrency: 8,
    jobs: {
      runbook: {
        data: z.strictObject({ runId: z.string().regex(/^run_[a-f0-9]{12}$/) }),
        // Removed when it ends, so the sweep can add it again if Redis loses it; the run row is the truth.
        opts: {
          attempts: 5,
          backoff: { type: 'exponential', delay: 2_000 },
          removeOnComplete: true,
          removeOnFail: true,
        },
      },
    },
    // A worker that dies mid-look is noticed in seconds, and its runbook looked at again by another.
    worker: { lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 100 },
  },
  [DIGEST_QUEUE]: {
    label: 'digest',
    concurrency: 1,
    jobs: { 'digest-daily': Digest, 'digest-weekly': Digest },
  },
  [INCIDENT_SLOTS_QUEUE]: {
    label: 'incident slot',
    concurrency: 4,
    jobs: {
      slot: {
        data: z.strictObject({
          incidentId: z.string().regex(/^[\w-]{1,64}$/),
          /** When it comes due, in epoch milliseconds. */
          at: z.number().int().nonnegative(),
        }),
        // Removed when done or failed, so the safety sweep can add it again; the incident's row is the truth.
        opts: {
          attempts: 3,
          backoff: { type: 'exponential', delay: 1_000 },
          removeOnComplete: true,
          removeOnFail: true,
        },
      },
    },
    // A worker that dies holding a slot is noticed in seconds, and the slot looked at by another.
    worker: { lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 100 },
  },
  'ops-health-probe': { label: 'health probe', concurrency: 1, jobs: { 'health-probe': Tick } },
  'ops-incident-cadence': { label: 'incident cadence', concurrency: 1, jobs: { 'incident-cadence': Tick } },
  'ops-pagerduty-sweep': { label: 'PagerDuty sweep', concurrency: 1, jobs: { 'pagerduty-sweep': Tick } },
  'ops-followups': { label: 'follow-up check', concurrency: 1, jobs: { 'followup-check': Tick } },
} as const satisfies Record<string, QueueSpec>;

/** A queue of the map. */
export type QueueName = keyof typeof QUEUES;
/** The names of a queue's jobs. */
export type JobName<Q extends QueueName> = keyof (typeof QUEUES)[Q]['jobs'] & string;
/** The data of a queue's job (of any of its jobs, without a name). */
export type JobData<
  Q extends QueueName,
  N extends JobName<Q> = JobName<Q>,
> = (typeof QUEUES)[Q]['jobs'][N] extends {
  data: infer S extends z.ZodType;
}
  ? z.output<S>
  : never;
/** A BullMQ queue of the map; jobs are added through addJob only, so their data always passes the map. */
export type TypedQueue<Q extends QueueName> = Omit<Queue, 'add' | 'addBulk' | 'name'> & { readonly name: Q };
/** What a worker does with each job of its queue: its data, checked against the map, and the job itself. */
export type JobHandlers<Q extends QueueName> = {
  [N in JobName<Q>]: (data: JobData<Q, N>, job: Job, token: string | undefined) => Promise<void>;
};

/** The Redis connection a queue or worker uses, the key prefix (OPSBOT_QUEUE_PREFIX), and where it logs. */
export interface QueueConnection {
  connection: RedisConnection;
  prefix: string;
  log: Logger;
}

/** The map's entry for one job; throws on a name the queue does not have. */
export function jobSpec(queue: QueueName, name: string): JobSpec {
  const jobs: Record<string, JobSpec> = QUEUES[queue].jobs;
  const spec = Object.hasOwn(jobs, name) ? jobs[name] : undefined;
  if (!spec) throw new UnrecoverableError(`queue ${queue} has no job named ${name}`);
  return spec;
}

/** Opens a producer's handle on a queue of the map; its errors are logged, not thrown. */
export function createQueue<Q extends QueueName>(name: Q, on: QueueConnection): TypedQueue<Q> {
  const queue = new Queue(name, { connection: on.connection, prefix: on.prefix });
  const { label } = QUEUES[name];
  queue.on('error', (error) => connectionError(on, error, `${label} queue error`));
  return queue as Queue & { readonly name: Q };
}

/** Adds a job with the map's options (plus `opts`: job id, delay); its data must pass the map's schema. */
export async function addJob<Q extends QueueName, N extends JobName<Q>>(
  queue: TypedQueue<Q>,
  name: N,
  data: JobData<Q, N>,
  opts: JobsOptions = {},
): Promise<void> {
  const spec = jobSpec(queue.name, name);
  // The handle hides add from everyone else, so that every job goes in through here.
  await (queue as unknown as Queue).add(name, spec.data.parse(data), { ...spec.opts, ...opts });
}

/** Adds several jobs of one name in one round trip to Redis, each as addJob would. */
export async function addJobs<Q extends QueueName, N extends JobName<Q>>(
  queue: TypedQueue<Q>,
  name: N,
  jobs: { data: JobData<Q, N>; opts?: JobsOptions }[],
): Promise<void> {
  const spec = jobSpec(queue.name, name);
  await (queue as unknown as Queue).addBulk(
    jobs.map((job) => ({ name, data: spec.data.parse(job.data), opts: { ...spec.opts, ...job.opts } })),
  );
}

/** Starts a queue's worker: each job's data is checked against the map, then handed to its job's handler. */
export function createWorker<Q extends QueueName>(
  name: Q,
  handlers: JobHandlers<Q>,
  on: QueueConnection,
): Worker {
  const spec: QueueSpec = QUEUES[name];
  const { label, concurrency } = spec;
  const byName = handlers as unknown as Record<
    string,
    (data: unknown, job: Job, token: string | undefined) => Promise<void>
  >;
  const worker = new Worker(
    name,
    async (job, token) => {
      const data: unknown = jobSpec(name, job.name).data.parse(job.data);
      await byName[job.name]?.(data, job, token);
    },
    { connection: on.connection, prefix: on.prefix, concurrency, ...spec.worker },
  );
  // A job failing because PostgreSQL or Redis is away is part of that outage, logged once there.
  worker.on('failed', (job, error) =>
    unlessOutage(outagesOf(on.connection), error, () =>
      on.log.error(
        { err: error, queue: name, job: job?.name, jobId: job?.id, attempt: job?.attemptsMade },
        `${label} job failed`,
      ),
    ),
  );
  worker.on('error', (error) => connectionError(on, error, `${label} worker error`));
  return worker;
}

/** A queue's or worker's error: Redis away is its connection's outage (logged once), anything else a warning. */
function connectionError(on: QueueConnection, error: Error, what: string): void {
  const outage = outagesOf(on.connection)?.redis;
  if (outage && (isRedisUnreachable(error) || isNetworkError(error))) outage.failed(error);
  else on.log.warn({ err: { message: error.message } }, what);
}
