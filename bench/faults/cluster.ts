import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parse, stringify } from 'yaml';
import { createBenthamJobs } from '../../test/support/bentham-fixture.js';
import { createTestDatabase } from '../../test/support/databases.js';
import { FakeSlack } from '../../test/support/fake-slack.js';
import { testConfigText } from '../../test/support/harness.js';
import {
  type OpsbotProcess,
  ROOT,
  spawnOpsbot,
  spawnWorker,
  stopOpsbot,
  TSX_LOADER,
} from '../../test/support/opsbot-process.js';
import { PD_SECRET } from '../../test/support/pagerduty-webhooks.js';
import { slowCountAction } from '../../test/support/slow-action.js';
import { queuePrefix, TEST_REDIS_URL, testVars } from '../../test/support/test-env.js';
import { PrivatePostgres, PrivateRedis } from './servers.js';

/** Channels the steady load spreads over: Slack takes one post a second per channel, and so does opsbot. */
export const LOAD_CHANNELS = Array.from({ length: 16 }, (_, i) => `C0LOAD${String(i + 1).padStart(2, '0')}`);

/** The PagerDuty channel and services of the webhook burst (each service's burst rolls up into one storm). */
export const ALERT_CHANNEL = 'C0ALERTS';
export const pagerDutyService = (n: number) => `PSBENCH${n}`;

/** How many studies (one jobs row each, attempt_count 0) the target database gets: one per request. */
const STUDIES = 20_000;

/** The study of request `n`, a row of its own whose attempt_count counts the request's executions. */
export const studyOf = (n: number) => `study_b${n}`;

/** The tests' Bentham config: the load channels allowed, the hang actions, PagerDuty cards for the bench's services. */
function benchConfigText(services: number, hangSeconds: number): string {
  const config = parse(testConfigText());
  config.channels.allow.push(...LOAD_CHANNELS);
  // The steady load is one person's requests, more than the default 20 a minute that one person may make.
  config.workspace.requests_per_minute = 1000;
  Object.assign(config.services.bentham.actions, {
    // The test fixture's `slow` calls pg_sleep per row scanned, too slow on the bench's 20,000 rows.
    bump: slowCountAction(0.3),
    hang: slowCountAction(hangSeconds),
    'hang-idempotent': slowCountAction(hangSeconds, true),
  });
  config.pagerduty = {
    channel: ALERT_CHANNEL,
    services: Object.fromEntries(
      Array.from({ length: services }, (_, n) => [pagerDutyService(n), 'bentham']),
    ),
  };
  return stringify(config);
}

/**
 * opsbot as an operator runs it, in separate processes (`opsbot start --role web` and `--role worker`, node
 * with tsx's loader, so a signal reaches opsbot itself), on a PostgreSQL cluster and a redis-server of the
 * bench's own that it may stop, with the fake Slack of the tests; Bentham's database (the target the actions
 * change) is a throwaway database on the shared PostgreSQL, which the bench never stops.
 */
export class OpsbotCluster {
  web!: OpsbotProcess;
  webUrl = '';
  readonly workers = new Map<string, OpsbotProcess>();
  /** opsbot's own database (on the private cluster), for counting. */
  db!: pg.Pool;
  /** Bentham's database, whose attempt counts say how often each request's action ran. */
  bentham!: pg.Pool;
  private vars: Record<string, string> = {};
  private dropTarget: () => Promise<void> = async () => undefined;
  private readonly ended: OpsbotProcess[] = [];

  private constructor(
    readonly slack: FakeSlack,
    readonly postgres: PrivatePostgres,
    readonly redis: PrivateRedis,
    readonly dir: string,
  ) {}

  static async start(options: { services: number; hangSeconds: number }): Promise<OpsbotCluster> {
    const slack = await new FakeSlack().start();
    const postgres = await PrivatePostgres.start();
    const redis = await PrivateRedis.start();
    const dir = await mkdtemp(join(tmpdir(), 'opsbot-bench-faults-'));
    const cluster = new OpsbotCluster(slack, postgres, redis, dir);
    await cluster.setUp(options);
    return cluster;
  }

  private async setUp(options: { services: number; hangSeconds: number }): Promise<void> {
    const own = await this.postgres.createDatabase('opsbot');
    const target = await createTestDatabase('bentham_bench');
    this.dropTarget = target.drop;
    this.bentham = await createBenthamJobs(target.url);
    await this.bentham.query(
      `INSERT INTO jobs (study_id, status, attempt_count)
       SELECT 'study_b' || n, 'failed', 0 FROM generate_series(0, $1 - 1) AS n`,
      [STUDIES],
    );
    await this.bentham.query('CREATE INDEX ON jobs (study_id)');
    await writeFile(join(this.dir, 'ops.yml'), benchConfigText(options.services, options.hangSeconds));
    this.vars = {
      ...testVars(this.slack, own, queuePrefix('opsbot_bench')),
      REDIS_URL: this.redis.url,
      BENTHAM_DATABASE_URL: target.url,
      BENTHAM_URL: 'https://api.bentham.example',
      BENTHAM_REDIS_URL: TEST_REDIS_URL,
      PAGERDUTY_WEBHOOK_SECRET: PD_SECRET,
    };
    this.db = new pg.Pool({ connectionString: own, max: 2 });
    // The bench's own connections are cut off too when it stops the cluster; the next query reconnects.
    this.db.on('error', () => undefined);
    // The web process migrates the fresh database; the workers start on it after.
    this.web = await spawnOpsbot(
      process.execPath,
      ['--import', TSX_LOADER, join(ROOT, 'src/cli.ts'), 'start', '--role', 'web'],
      this.dir,
      { ...this.vars, OPSBOT_CONFIG: join(this.dir, 'ops.yml') },
    );
    const port = /"port":(\d+)[^\n]*"msg":"opsbot started"/.exec(this.web.output())?.[1];
    this.webUrl = `http://127.0.0.1:${port}`;
  }

  /** Starts a worker process named `name`; resolves once it has logged "opsbot started". */
  async startWorker(name: string): Promise<OpsbotProcess> {
    const worker = await spawnWorker(this.dir, this.vars);
    this.workers.set(name, worker);
    return worker;
  }

  /** Sends `signal` to the worker `name` and forgets it; resolves with its exit code (or signal). */
  async endWorker(name: string, signal: NodeJS.Signals): Promise<number | NodeJS.Signals | null> {
    const worker = this.workers.get(name);
    if (!worker) throw new Error(`no worker ${name}`);
    this.workers.delete(name);
    this.ended.push(worker);
    worker.child.kill(signal);
    return worker.exited;
  }

  /** Every opsbot process's output, for the logs kept on request. */
  async keepLogs(): Promise<void> {
    const all = [
      ['web', this.web],
      ...this.workers.entries(),
      ...this.ended.map((p, i) => [`ended-${i}`, p]),
    ];
    for (const [name, proc] of all as [string, OpsbotProcess][]) {
      await writeFile(join(this.dir, `${name}.log`), proc.output());
    }
  }

  async stop(keepLogs: boolean): Promise<void> {
    if (keepLogs) await this.keepLogs().catch(() => undefined);
    for (const proc of [this.web, ...this.workers.values()]) {
      if (proc) await stopOpsbot(proc);
    }
    await this.db?.end().catch(() => undefined);
    await this.bentham?.end().catch(() => undefined);
    await this.dropTarget().catch(() => undefined);
    await this.postgres.stop();
    await this.redis.stop();
    await this.slack.stop();
    if (!keepLogs) await rm(this.dir, { recursive: true, force: true });
  }
}
