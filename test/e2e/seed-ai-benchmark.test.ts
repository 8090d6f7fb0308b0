import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { argvText } from '../../src/actions/argv.js';
import { AI_BENCHMARK_SCHEMA, FakeAiBenchmark } from '../fixtures/seeds/ai-benchmark/service.js';
import { createTestDatabase, eventually } from '../support/databases.js';
import { type ExecScript, type FakeContainer, FakeDocker } from '../support/fake-docker.js';
import { type Harness, startHarness } from '../support/harness.js';
import { slashText } from '../support/slash.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../support/test-env.js';

/**
 * examples/ai-benchmark.ops.yml (runbook 003) against its fixture system: the fake web service's /health,
 * /ready and /metrics (test/fixtures/seeds/ai-benchmark/service.ts), the runbook's benchmarks table in a
 * database of its own, Redis, and the fake Docker Engine, whose postgres and redis containers run each
 * exec'd command for real (psql and pg_isready against the fixture database, redis-cli against Redis): a
 * command, table or metric the runbook does not have fails here. Every action is planned and executed,
 * every lookup and check run; the example's checks turn bad only after their `sustained:` (2s here).
 */

const PROJECT = 'ai-benchmark';
const SERVICE = 'ai-benchmark';
const STAGING = 'ai-benchmark-staging';
/** Stands in for the runbook's duration, `for: 2m`, so that a test waits seconds. */
const SUSTAINED = '2s';

let h: Harness;
let docker: FakeDocker;
let web: FakeAiBenchmark;
let production: Awaited<ReturnType<typeof createTestDatabase>>;
let staging: Awaited<ReturnType<typeof createTestDatabase>>;
let benchmarks: pg.Pool;
let restored: pg.Pool;
let backups: string;

/** The example as the test runs it: the fake Engine's socket, a temp backup directory, short `sustained`. */
function configText(): string {
  const config = parse(readFileSync(new URL('../../examples/ai-benchmark.ops.yml', import.meta.url), 'utf8'));
  config.workspace.health_probe_every = 'off';
  config.workspace.reads_per_minute = 1000;
  config.workspace.requests_per_minute = 1000;
  config.roles.admin.users.push('U0ADMIN2'); // a second admin, to approve the restore
  const service = config.services[SERVICE];
  service.compose.docker = { socket: docker.socketPath };
  service.actions.backup.directory = backups;
  config.services[STAGING].actions.restore.directory = backups;
  for (const check of service.health) if (check.sustained !== undefined) check.sustained = SUSTAINED;
  return stringify(config);
}

/** The fixture database's name and the tests' role: what benchmark_db and benchmark_user are here. */
function postgresNames(): { database: string; user: string; host: string; port: string } {
  const server = new URL(TEST_DATABASE_URL);
  return {
    database: new URL(production.url).pathname.slice(1),
    user: decodeURIComponent(server.username) || 'postgres',
    host: server.hostname,
    port: server.port || '5432',
  };
}

/** Runs a local program as the container would, its stdout and stderr as exec frames. */
function run(file: string, args: string[], env: Record<string, string> = {}): Promise<ExecScript> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, ...env }, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({
        frames: [
          ...(stdout ? [{ stream: 1 as const, text: stdout }] : []),
          ...(stderr ? [{ stream: 2 as const, text: stderr }] : []),
        ],
        exitCode: code,
      });
    });
  });
}

/**
 * What the compose services' containers do with an exec: postgres runs psql and pg_isready against the
 * fixture database (benchmark_db and benchmark_user standing for it), except ALTER SYSTEM, which would change
 * the shared test server's configuration and is answered as psql would; redis runs redis-cli against the
 * tests' Redis; web answers the runbook's ping. Anything else is not in the container (exit 127).
 */
async function containerExec(cmd: string[], container: FakeContainer): Promise<ExecScript> {
  const service = container.config.Labels['com.docker.compose.service'];
  const [program = '', ...args] = cmd;
  if (service === 'postgres' && (program === 'psql' || program === 'pg_isready')) {
    if (args.some((arg) => arg.startsWith('ALTER SYSTEM '))) {
      return { frames: [{ stream: 1, text: 'ALTER SYSTEM\n' }], exitCode: 0 };
    }
    const names = postgresNames();
    const local = args.map((arg) =>
      arg.replaceAll('benchmark_db', names.database).replaceAll('benchmark_user', names.user),
    );
    const options = program === 'psql' ? ['--no-psqlrc', ...local] : local;
    return run(program, options, { PGHOST: names.host, PGPORT: names.port });
  }
  if (service === 'redis' && program === 'redis-cli') return run(program, ['-u', TEST_REDIS_URL, ...args]);
  if (service === 'web' && argvText(cmd) === 'ping -c 3 postgres') {
    const text =
      'PING postgres (172.18.0.5) 56(84) bytes of data.\n' +
      '--- postgres ping statistics ---\n3 packets transmitted, 3 received, 0% packet loss, time 2003ms\n';
    return { frames: [{ stream: 1, text }], exitCode: 0 };
  }
  return {
    frames: [{ stream: 2, text: `OCI runtime exec failed: exec: "${program}": executable file not found\n` }],
    exitCode: 127,
  };
}

beforeAll(async () => {
  docker = await new FakeDocker().start();
  docker.onExec = containerExec;
  web = await new FakeAiBenchmark().start();
  production = await createTestDatabase('ai_benchmark');
  staging = await createTestDatabase('ai_benchmark_staging');
  benchmarks = new pg.Pool({ connectionString: production.url, max: 2 });
  restored = new pg.Pool({ connectionString: staging.url, max: 1 });
  await benchmarks.query(AI_BENCHMARK_SCHEMA);
  await restored.query(AI_BENCHMARK_SCHEMA);
  await restored.query('TRUNCATE benchmarks');
  backups = mkdtempSync(join(tmpdir(), 'ai-benchmark-backups-'));
  h = await startHarness(
    {},
    {
      configText: configText(),
      env: {
        AI_BENCHMARK_DATABASE_URL: production.url,
        AI_BENCHMARK_URL: web.url,
        AI_BENCHMARK_REDIS_URL: TEST_REDIS_URL,
        AI_BENCHMARK_BACKUP_KEY: randomBytes(32).toString('base64'),
        AI_BENCHMARK_STAGING_DATABASE_URL: staging.url,
      },
    },
  );
});

afterAll(async () => {
  await h?.close();
  await docker?.stop();
  await web?.stop();
  await benchmarks?.end();
  await restored?.end();
  await production?.drop();
  await staging?.drop();
  if (backups) rmSync(backups, { recursive: true, force: true });
});

beforeEach(() => {
  web.restart();
  docker.reset();
  docker.addContainer(PROJECT, 'web', 1, { ports: ['8000'], health: 'healthy' });
  docker.addContainer(PROJECT, 'web', 2, { ports: ['8000'], health: 'healthy' });
  docker.addContainer(PROJECT, 'postgres', 1, { image: 'postgres' });
  docker.addContainer(PROJECT, 'redis', 1, { image: 'redis' });
});

/** What `user` is told after `/ops <text>`. */
async function ops(text: string, user = 'U0ALICE'): Promise<string> {
  return slashText(h, text, { user });
}

type Level = 'ok' | 'warning' | 'critical';
const LEVELS: Record<string, Level> = {
  ':white_check_mark:': 'ok',
  ':warning:': 'warning',
  ':red_circle:': 'critical',
};

/** `/ops status ai-benchmark`, each check as [level, what it measured]. */
async function status(): Promise<Record<string, [Level, string]>> {
  const text = await ops(`status ${SERVICE}`);
  const checks: Record<string, [Level, string]> = {};
  for (const line of text.split('\n').slice(1)) {
    const match = /^ {2}(:[a-z_]+:) ([a-z0-9-]+) — (.*) \(\d+ ms\)$/.exec(line);
    if (match?.[1] && match[2] && match[3] !== undefined)
      checks[match[2]] = [LEVELS[match[1]] ?? 'ok', match[3]];
  }
  return checks;
}

/** Requests an action as `actor`, confirms and approves it as it needs; its final row once finished. */
async function runAction(
  action: string,
  params: Record<string, string | number> = {},
  { actor = 'U0ALICE', service = SERVICE } = {},
): Promise<{ plan: string; state: string; error: string | null; result: string }> {
  let run = await h.opsbot.runs.request({ actor, channel: 'C0OPS', service, action, params });
  const plan = String((run.plan as { summary?: string } | null)?.summary ?? run.error);
  if (run.state === 'awaiting_confirmation') run = await h.opsbot.runs.confirm(actor, run.id);
  if (run.state === 'awaiting_approval') await h.opsbot.runs.approve('U0ADMIN2', run.id);
  return eventually(async () => {
    const { rows } = await h.db.query('SELECT state, error, result FROM action_runs WHERE id = $1', [run.id]);
    expect(['succeeded', 'failed']).toContain(rows[0].state);
    return { plan, state: rows[0].state, error: rows[0].error, result: rows[0].result?.summary ?? '' };
  });
}

/** The last text of the command output message titled `<argv> in <container>`, once the command ended. */
function output(argv: string[], container: string): Promise<string> {
  const heading = `*Output* of \`${argvText(argv)} in ${container}\` — exit code`;
  return eventually(() => {
    const texts = [...h.slack.of('chat.postMessage'), ...h.slack.of('chat.update')]
      .map((call) => String(call.text ?? ''))
      .filter((text) => text.startsWith(heading));
    expect(texts.length).toBeGreaterThan(0);
    return texts.at(-1) as string;
  });
}

/** The benchmarks table's statistics row (last vacuum and analyze), as PostgreSQL keeps it. */
async function tableStats(): Promise<{ vacuumed: Date | null; analyzed: Date | null }> {
  const { rows } = await benchmarks.query(
    "SELECT greatest(last_vacuum, last_autovacuum) AS vacuumed, greatest(last_analyze, last_autoanalyze) AS analyzed FROM pg_stat_user_tables WHERE relname = 'benchmarks'",
  );
  return rows[0];
}

describe('AI Benchmark (runbook 003): the example against its fixture system', () => {
  it('every health check is green on the healthy service, each measuring what the runbook names', async () => {
    const checks = await eventually(async () => {
      const now = await status();
      expect(now.throughput?.[1]).toMatch(/req\/s over the last/); // a rate needs a second scrape
      return now;
    });
    expect(Object.keys(checks)).toEqual([
      'liveness',
      'readiness',
      'p95-latency',
      'error-rate',
      'throughput',
      'active-runs',
      'redis',
      'db-connections',
      'query-time',
      'db-size',
    ]);
    for (const [name, [level, detail]] of Object.entries(checks)) {
      expect([name, level, detail]).toEqual([name, 'ok', expect.any(String)]);
    }
    expect(checks.liveness?.[1]).toBe('200');
    expect(checks.readiness?.[1]).toBe('200');
    expect(checks['p95-latency']?.[1]).toMatch(/^p95 0\.0\d+ s from [\d,]+ observations/);
    expect(checks['error-rate']?.[1]).toMatch(/^0 % \(0 of [\d,]+\)/);
    expect(checks['active-runs']?.[1]).toBe('benchmark_active_runs 3');
    expect(checks.redis?.[1]).toMatch(/^PONG, /);
    expect(checks['db-connections']?.[1]).toMatch(/^\d+ of \d+ connections \(\d+(\.\d)? %\)$/);
    expect(checks['query-time']?.[1]).toMatch(/^\d+ ms$/);
    expect(checks['db-size']?.[1]).toMatch(/^\d+ MiB$/);
    expect(new Set(web.requests)).toEqual(new Set(['/health', '/ready', '/metrics']));
  });

  it.each([
    ['p95-latency', 'warning', { latencySeconds: 3 }, /^p95 [2-9][\d.]* s/],
    ['error-rate', 'critical', { errorRatio: 0.05 }, /^[1-9][\d.]* % \(/],
    ['throughput', 'warning', { rps: 5 }, /^benchmark_requests_total [\d.]+ req\/s over the last/],
  ] as const)(
    '%s turns %s only after the runbook’s alert level has held for its sustained duration',
    async (name, level, traffic, measured) => {
      await status(); // a first scrape of healthy counters
      web.restart();
      web.set(traffic);
      web.elapse(2); // a window's worth of the bad traffic, so the first scrape after the restart measures it
      const held = await eventually(async () => {
        const check = (await status())[name];
        expect(check?.[1]).toMatch(measured);
        expect(check?.[1]).toContain(`(sustained ${SUSTAINED} before it counts)`);
        return check;
      });
      expect(held?.[0]).toBe('ok');
      const counted = await eventually(async () => {
        const check = (await status())[name];
        expect(check?.[0]).toBe(level);
        return check;
      });
      expect(counted?.[1]).toMatch(measured);
      expect(counted?.[1]).not.toContain('before it counts');
    },
  );

  it('the connections lookup counts pg_stat_activity, as the runbook does', async () => {
    const reply = await ops(`show ${SERVICE} connections`);
    expect(reply).toMatch(/count/);
    expect(reply).toMatch(/\b\d+\b/);
  });

  it('/ops logs ai-benchmark web tail=100 grep=401: the runbook’s `docker-compose logs web | grep "401"`', async () => {
    const at = new Date(Date.now() - 60_000).toISOString();
    docker
      .named('ai-benchmark-web-1')
      ?.logs.push(
        { stream: 1, at, text: 'INFO: "POST /api/benchmark/run HTTP/1.1" 200 OK' },
        { stream: 1, at, text: 'INFO: "GET /api/benchmark/list HTTP/1.1" 401 Unauthorized' },
      );
    const reply = await ops(`logs ${SERVICE} web tail=100 grep=401`);
    expect(reply).toContain(
      '(compose service web of ai-benchmark, 2 lines from 1 container): 1 line matching',
    );
    expect(reply).toContain(' INFO: "GET /api/benchmark/list HTTP/1.1" 401 Unauthorized');
    expect(reply).not.toContain('200 OK');
  });

  it.each([
    ['restart-web', ['ai-benchmark-web-1', 'ai-benchmark-web-2']],
    ['restart-postgres', ['ai-benchmark-postgres-1']],
    ['restart-redis', ['ai-benchmark-redis-1']],
  ])('%s restarts every running container of its compose service, after Confirm', async (action, names) => {
    const run = await runAction(action);
    expect(run.state).toBe('succeeded');
    const ids = names.map((name) => docker.named(name)?.id);
    expect(docker.changes().map((r) => `${r.method} ${r.path}`)).toEqual(
      ids.map((id) => `POST /containers/${id}/restart`),
    );
  });

  it('scale-web 3 creates and starts ai-benchmark-web-3 (the runbook’s --scale web=3)', async () => {
    const run = await runAction('scale-web', { replicas: 3 });
    expect(run).toMatchObject({ state: 'succeeded', result: expect.stringContaining('from 2 to 3') });
    expect(docker.named('ai-benchmark-web-3')?.state).toBe('running');
  });

  /** [action, container, the runbook's argv, what its output must say]. */
  const EXECS: [string, string, string[], RegExp][] = [
    ['pg-isready', 'postgres', ['pg_isready'], /accepting connections/],
    ['redis-ping', 'redis', ['redis-cli', 'ping'], /PONG/],
    ['ping-postgres', 'web', ['ping', '-c', '3', 'postgres'], /3 received, 0% packet loss/],
    [
      'db-size',
      'postgres',
      [
        'psql',
        '-U',
        'benchmark_user',
        '-d',
        'benchmark_db',
        '-c',
        "SELECT pg_size_pretty(pg_database_size('benchmark_db'));",
      ],
      /pg_size_pretty[\s\S]*\d+ [kM]B/,
    ],
    [
      'vacuum',
      'postgres',
      ['psql', '-U', 'benchmark_user', '-d', 'benchmark_db', '-c', 'VACUUM ANALYZE;'],
      /VACUUM/,
    ],
    ['analyze', 'postgres', ['psql', '-U', 'benchmark_user', 'benchmark_db', '-c', 'ANALYZE;'], /ANALYZE/],
    [
      'reindex',
      'postgres',
      ['psql', '-U', 'benchmark_user', 'benchmark_db', '-c', 'REINDEX DATABASE benchmark_db;'],
      /REINDEX/,
    ],
    [
      'explain-completed',
      'postgres',
      [
        'psql',
        '-U',
        'benchmark_user',
        'benchmark_db',
        '-c',
        "EXPLAIN ANALYZE SELECT * FROM benchmarks WHERE status = 'completed';",
      ],
      /Seq Scan on benchmarks[\s\S]*Filter: \(status = 'completed'::text\)[\s\S]*Execution Time/,
    ],
    [
      'raise-max-connections',
      'postgres',
      ['psql', '-U', 'benchmark_user', 'benchmark_db', '-c', 'ALTER SYSTEM SET max_connections = 200;'],
      /ALTER SYSTEM/,
    ],
  ];

  it.each(EXECS)('%s runs the runbook’s command in the %s container', async (action, service, argv, says) => {
    const before = await tableStats();
    const run = await runAction(action);
    const container = `ai-benchmark-${service}-1`;
    expect(run.plan).toContain(`Run \`${argvText(argv)}\` in ${container}`);
    expect(run).toMatchObject({ state: 'succeeded', error: null });
    const exec = docker.changes().find((r) => r.path.endsWith('/exec'));
    expect(exec?.path).toBe(`/containers/${docker.named(container)?.id}/exec`);
    expect(exec?.body).toMatchObject({ Cmd: argv });
    expect(await output(argv, container)).toMatch(says);
    if (action === 'vacuum' || action === 'analyze') {
      await eventually(async () => {
        const after = await tableStats();
        expect(after.analyzed?.getTime() ?? 0).toBeGreaterThan(before.analyzed?.getTime() ?? 0);
        if (action === 'vacuum')
          expect(after.vacuumed?.getTime() ?? 0).toBeGreaterThan(before.vacuumed?.getTime() ?? 0);
      });
    }
  });

  it('backup writes the benchmarks table to an encrypted artifact; restore loads it into staging after approval', async () => {
    const backup = await runAction('backup');
    expect(backup.plan).toBe(`1 table of database main would be backed up, encrypted, to ${backups}.`);
    expect(backup).toMatchObject({ state: 'succeeded', error: null });
    expect(backup.result).toMatch(/^Backed up 5 rows from 1 table to /);
    const file = readdirSync(backups)
      .filter((name) => name.startsWith(`${SERVICE}-`))
      .at(-1) as string;
    expect(readFileSync(join(backups, file)).includes(Buffer.from('completed'))).toBe(false);

    await restored.query('TRUNCATE benchmarks');
    const restore = await runAction(
      'restore',
      { file, confirm_service: STAGING },
      { actor: 'U0ADMIN', service: STAGING },
    );
    expect(restore.plan).toContain(`restoring it would replace the rows of 1 tables of database main`);
    expect(restore).toMatchObject({ state: 'succeeded', error: null });
    const { rows } = await restored.query(
      'SELECT status, count(*)::int AS n FROM benchmarks GROUP BY status ORDER BY status',
    );
    expect(rows).toEqual([
      { status: 'completed', n: 3 },
      { status: 'failed', n: 1 },
      { status: 'running', n: 1 },
    ]);
  });
});
